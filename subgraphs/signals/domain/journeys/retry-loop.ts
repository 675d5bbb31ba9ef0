import type { FrictionFinding } from '../friction/finding';
import type { JourneySpec } from './definition';
import { formatDuration } from './format';
import { compareJourneyEvents, stepIndex, type JourneyEventRecord } from './progress';

/**
 * A retry loop inside one journey instance: the same step attempted `retryLoop.count` times within
 * `retryLoop.windowMs` without getting past it.
 * - `failure`: failure events of a step (e.g. `ID Upload Failed`) while that step is not reached yet;
 * - `repeat`: the step's own event again and again while no later step is reached.
 * Once the step is passed, later attempts do not count: a retry after success is not a loop.
 */
export interface JourneyRetryLoop {
  stepKey: string;
  kind: 'failure' | 'repeat';
  /** Event names involved (one for `repeat`). */
  eventNames: string[];
  /** The occurrences, oldest first (at least `count`). */
  events: { eventId: string; timestamp: Date; name: string }[];
}

/**
 * Every retry loop of one instance's events. Occurrences of one (step, kind) are grouped greedily
 * from the oldest: a loop is the longest run starting at an occurrence and ending within the
 * window, when it holds at least `count` occurrences; the next loop starts after it. Loops are
 * therefore identified by their first occurrence, which later events cannot change.
 */
export function detectJourneyRetryLoops(
  spec: JourneySpec,
  events: readonly JourneyEventRecord[],
  eventNames: ReadonlyMap<string, string>,
): JourneyRetryLoop[] {
  const streams = new Map<string, { stepKey: string; kind: 'failure' | 'repeat'; events: JourneyRetryLoop['events'] }>();
  const push = (stepKey: string, kind: 'failure' | 'repeat', e: JourneyEventRecord) => {
    const id = `${stepKey}\u0000${kind}`;
    let stream = streams.get(id);
    if (!stream) streams.set(id, (stream = { stepKey, kind, events: [] }));
    stream.events.push({ eventId: e.eventId, timestamp: e.timestamp, name: eventNames.get(e.eventId) ?? '' });
  };
  let current = -1;
  for (const e of [...events].sort(compareJourneyEvents)) {
    for (const key of e.failures) {
      if (stepIndex(spec, key) > current) push(key, 'failure', e);
    }
    const indices = e.steps.map((k) => stepIndex(spec, k)).filter((i) => i >= 0);
    // the event that reaches a step counts as its first attempt; repeats count while no later step is reached
    for (const i of indices) if (i >= current) push(spec.steps[i].key, 'repeat', e);
    current = Math.max(current, ...indices);
  }
  const { count, windowMs } = spec.retryLoop;
  const loops: JourneyRetryLoop[] = [];
  for (const stream of streams.values()) {
    const occ = stream.events;
    let i = 0;
    while (i < occ.length) {
      let j = i;
      while (j + 1 < occ.length && occ[j + 1].timestamp.getTime() - occ[i].timestamp.getTime() <= windowMs) j += 1;
      if (j - i + 1 >= count) {
        const run = occ.slice(i, j + 1);
        loops.push({ stepKey: stream.stepKey, kind: stream.kind, eventNames: [...new Set(run.map((o) => o.name))], events: run });
        i = j + 1;
      } else {
        i += 1;
      }
    }
  }
  return loops.sort((a, b) => a.events[0].timestamp.getTime() - b.events[0].timestamp.getTime());
}

/** Who and where a journey finding is about. */
export interface JourneyFindingContext {
  profileId: string;
  instanceId: string;
  journeyId: string;
  journeyName: string;
}

/**
 * The finding of one retry loop. Detected at the `count`-th occurrence (event time); the dedupe key
 * is the instance, step and kind with the loop's first occurrence, so a loop growing past the
 * threshold is still one signal. Severity 0.6 for failures and 0.5 for repeats at the threshold,
 * plus 0.1 per further attempt, at most 0.95.
 */
export function retryLoopFinding(spec: JourneySpec, loop: JourneyRetryLoop, ctx: JourneyFindingContext): FrictionFinding {
  const { count, windowMs } = spec.retryLoop;
  const first = loop.events[0];
  const last = loop.events.at(-1)!;
  const spanMs = last.timestamp.getTime() - first.timestamp.getTime();
  const what = loop.eventNames.map((n) => `"${n}"`).join(' / ');
  const summary =
    loop.kind === 'failure'
      ? `${loop.events.length} failed attempts (${what}) in ${formatDuration(spanMs)} at step "${loop.stepKey}" of "${ctx.journeyName}"`
      : `${what} ${loop.events.length} times in ${formatDuration(spanMs)} without progress past step "${loop.stepKey}" of "${ctx.journeyName}"`;
  const base = loop.kind === 'failure' ? 0.6 : 0.5;
  return {
    type: 'retry_loop',
    profileId: ctx.profileId,
    journeyInstanceId: ctx.instanceId,
    severity: Math.min(0.95, base + 0.1 * (loop.events.length - count)),
    detectedAt: loop.events[count - 1].timestamp,
    evidence: {
      summary,
      eventIds: loop.events.map((e) => e.eventId),
      journeyId: ctx.journeyId,
      journey: ctx.journeyName,
      step: loop.stepKey,
      kind: loop.kind,
      eventNames: loop.eventNames,
      attempts: loop.events.length,
      spanMs,
      firstAt: first.timestamp.toISOString(),
      lastAt: last.timestamp.toISOString(),
      threshold: { count, windowMs },
    },
    dedupeKey: `retry_loop-${ctx.profileId}-${ctx.instanceId}.${loop.stepKey}.${loop.kind}-${first.timestamp.getTime()}`,
  };
}
