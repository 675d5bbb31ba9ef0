import { burstSeverity, findRuns, formatDuration, keySegment, MAX_EVIDENCE_IDS, runForTrigger, type FrictionEvent, type ReportedWindow } from './events';
import type { FrictionFinding } from './finding';
import type { RetryLoopOptions } from './settings';
import { compiledPattern } from './safe-pattern';

/** Whether `name` is a failure event under the options. */
export function isFailureEvent(name: string | null, options: RetryLoopOptions): boolean {
  if (!name) return false;
  if (options.failureEvents.includes(name)) return true;
  return compiledPattern(options.failurePattern).test(name);
}

/** The failure's stem: its name without the failure word (`ID Upload Failed` → `id upload`). */
export function failureStem(name: string, options: RetryLoopOptions): string {
  return name.replace(compiledPattern(options.failurePattern), '').trim().toLowerCase();
}

/** Whether `event` ends a run of `failure` events: a mapped success, or the same stem without failing. */
export function isSuccessFor(failure: string, event: FrictionEvent, options: RetryLoopOptions): boolean {
  if (!event.name || event.name === failure) return false;
  // own keys only: an event named like an Object.prototype member must not reach it
  if (Object.hasOwn(options.successEvents, failure) && options.successEvents[failure].includes(event.name)) return true;
  const stem = failureStem(failure, options);
  return stem.length > 0 && event.name.toLowerCase().startsWith(stem) && !isFailureEvent(event.name, options);
}

export interface RetryLoopInput {
  profileId: string;
  /** The event the job is for. Only a loop containing it is reported. */
  trigger: FrictionEvent;
  /** The profile's events around the trigger (at least `windowMs` either side), any order. */
  events: readonly FrictionEvent[];
  /** Retry loops already recorded for the profile (scope = the failure event name). */
  reported?: readonly ReportedWindow[];
  /** Failure events covered by a journey's own retry detection: left alone here. */
  coveredEvents?: readonly string[];
}

/**
 * Retry loop: the trigger is a failure event (by name), and it belongs to a run of at least
 * `minFailures` of the same failure within `windowMs` of the run's first failure, with no success
 * for it in between (a retry after success is not a loop). Null otherwise.
 * Severity 0.5 at the threshold, +0.1 per further failure. Dedupe key: `retry_loop-<profile>-<event>-<first failure ms>`.
 */
export function detectRetryLoop(input: RetryLoopInput, options: RetryLoopOptions): FrictionFinding | null {
  const { trigger, profileId } = input;
  if (!options.enabled || !trigger.name || !isFailureEvent(trigger.name, options)) return null;
  const failure = trigger.name;
  if (options.ignoreEvents.includes(failure) || input.coveredEvents?.includes(failure)) return null;
  const relevant = input.events.filter((e) => e.name === failure || isSuccessFor(failure, e, options));
  if (!relevant.some((e) => e.id === trigger.id)) relevant.push(trigger);
  const runs = findRuns(relevant, { minCount: options.minFailures, windowMs: options.windowMs, isReset: (e) => e.name !== failure });
  const run = runForTrigger(runs, trigger.id, input.reported ?? [], failure);
  if (!run) return null;
  const start = run[0].timestamp;
  const end = run[run.length - 1].timestamp;
  const span = end.getTime() - start.getTime();
  return {
    type: 'retry_loop',
    profileId,
    severity: burstSeverity(run.length, options.minFailures, 0.5),
    detectedAt: end,
    evidence: {
      summary: `${run.length} × "${failure}" in ${formatDuration(span)}, no success in between`,
      eventName: failure,
      attempts: run.length,
      windowStart: start.toISOString(),
      windowEnd: end.toISOString(),
      spanMs: span,
      threshold: { minFailures: options.minFailures, windowMs: options.windowMs },
      eventIds: run.slice(0, MAX_EVIDENCE_IDS).map((e) => e.id),
    },
    dedupeKey: `retry_loop-${profileId}-${keySegment(failure)}-${start.getTime()}`,
  };
}
