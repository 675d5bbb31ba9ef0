import { detectErrorBurst, detectRageClick, detectSupportBurst, type BurstInput } from './bursts';
import type { FrictionEvent, ReportedWindow } from './events';
import type { FrictionFinding, FrictionType } from './finding';
import { detectNegativeFeedback } from './negative-feedback';
import { detectRetryLoop, isFailureEvent } from './retry-loop';
import type { FrictionConfig } from './settings';

/** Most events one detector looks at around a trigger (the oldest first), as the per-event path read them. */
export const MAX_WINDOW_EVENTS = 1000;
/** Most already-reported signals one detector looks at around a trigger. */
export const MAX_REPORTED = 100;

/** One event of a batch that may trigger detectors, with what the journeys found for it. */
export interface BatchTrigger {
  profileId: string;
  event: FrictionEvent;
  /** Findings of the journeys this event advanced (they come first, and cover their failure events). */
  journeyFindings: readonly FrictionFinding[];
}

/** A stored signal (or a finding of this batch) as the overlap checks read it. */
export interface ReportedSignal {
  profileId: string;
  type: string;
  detectedAt: Date;
  evidence: Record<string, unknown>;
}

/** Events of some profiles in one time range, optionally only some names: one `$or` branch of the window read. */
export interface EventWindow {
  from: Date;
  to: Date;
  /** null: every name (the retry loop also needs the successes that end a run). */
  names: string[] | null;
}

/** Signals of one type in one time range: one `$or` branch of the reported read. */
export interface SignalWindow {
  type: FrictionType;
  from: Date;
  to: Date;
}

/** What one batch must read, all of it for `profileIds`: one events query and one signals query. */
export interface BatchReads {
  profileIds: string[];
  events: EventWindow[];
  signals: SignalWindow[];
}

/** A detector that looks at a window of the profile's events around its trigger. */
interface WindowedDetector {
  type: 'retry_loop' | 'support_burst' | 'error_burst' | 'rage_click';
  windowMs: number;
  /** Names it reads around the trigger; null: all. */
  names: string[] | null;
  /** Evidence key whose value scopes its reported windows (null: the whole type). */
  scopeKey: string | null;
  fires: (name: string) => boolean;
}

function windowedDetectors(config: FrictionConfig): WindowedDetector[] {
  const out: WindowedDetector[] = [];
  const { retryLoop, supportBurst, errorBurst, rageClick } = config;
  if (retryLoop.enabled) out.push({ type: 'retry_loop', windowMs: retryLoop.windowMs, names: null, scopeKey: 'eventName', fires: (n) => isFailureEvent(n, retryLoop) });
  for (const [type, options] of [
    ['support_burst', supportBurst],
    ['error_burst', errorBurst],
  ] as const) {
    if (options.enabled) out.push({ type, windowMs: options.windowMs, names: options.events, scopeKey: null, fires: (n) => options.events.includes(n) });
  }
  if (rageClick.enabled) out.push({ type: 'rage_click', windowMs: rageClick.windowMs, names: rageClick.events, scopeKey: 'element', fires: (n) => rageClick.events.includes(n) });
  return out;
}

/**
 * The reads a batch needs, one range per windowed detector that some event of the batch fires:
 * from the earliest trigger's window start to the latest trigger's window end (signals: twice the
 * window, as the overlap check reads them). A superset of what each trigger needs; `detectBatch`
 * cuts each trigger's own window out of it.
 */
export function batchReads(triggers: readonly BatchTrigger[], config: FrictionConfig): BatchReads {
  const profileIds = new Set<string>();
  const events: EventWindow[] = [];
  const signals: SignalWindow[] = [];
  for (const detector of windowedDetectors(config)) {
    const fired = triggers.filter((t) => t.event.name !== null && detector.fires(t.event.name));
    if (!fired.length) continue;
    const times = fired.map((t) => t.event.timestamp.getTime());
    const first = Math.min(...times);
    const last = Math.max(...times);
    for (const t of fired) profileIds.add(t.profileId);
    events.push({ from: new Date(first - detector.windowMs), to: new Date(last + detector.windowMs), names: detector.names });
    signals.push({ type: detector.type, from: new Date(first - 2 * detector.windowMs), to: new Date(last + 2 * detector.windowMs) });
  }
  return { profileIds: [...profileIds], events, signals };
}

/** Stored events of the batch's profiles (as `batchReads` asked for them), and their signals. */
export interface BatchContext {
  config: FrictionConfig;
  /** Failure events the tenant's journeys watch: their retry loops are the journeys' to report. */
  journeyFailureEvents: readonly string[];
  /** Per profile, its events read, in time order (ties by id). */
  events: ReadonlyMap<string, readonly FrictionEvent[]>;
  /** Signals already stored for these profiles in the reported ranges. */
  reported: readonly ReportedSignal[];
}

/**
 * Runs the event-driven detectors over a batch, in the batch's order, exactly as the per-event
 * path would have one event after the other: each trigger sees the profile's events within its
 * detector's window of its own time (at most `MAX_WINDOW_EVENTS`, oldest first) and the signals
 * reported near it, including those found for earlier events of the batch. Returns, per trigger,
 * its journey findings then its detector findings (a finding may repeat across triggers with one
 * dedupe key; the store keeps one).
 */
export function detectBatch(triggers: readonly BatchTrigger[], context: BatchContext): FrictionFinding[][] {
  const { config } = context;
  const detectors = new Map(windowedDetectors(config).map((d) => [d.type, d]));
  const reported: ReportedSignal[] = [...context.reported];
  const around = (profileId: string, at: Date, detector: WindowedDetector): FrictionEvent[] => {
    const from = at.getTime() - detector.windowMs;
    const to = at.getTime() + detector.windowMs;
    const out: FrictionEvent[] = [];
    for (const e of context.events.get(profileId) ?? []) {
      const t = e.timestamp.getTime();
      if (t < from || t > to || (detector.names && (e.name === null || !detector.names.includes(e.name)))) continue;
      out.push(e);
      if (out.length >= MAX_WINDOW_EVENTS) break;
    }
    return out;
  };
  const reportedNear = (profileId: string, at: Date, detector: WindowedDetector): ReportedWindow[] => {
    const from = at.getTime() - 2 * detector.windowMs;
    const to = at.getTime() + 2 * detector.windowMs;
    return reported
      .filter((s) => s.profileId === profileId && s.type === detector.type && s.detectedAt.getTime() >= from && s.detectedAt.getTime() <= to)
      .slice(0, MAX_REPORTED)
      .flatMap((s) => reportedWindow(s, detector.scopeKey));
  };

  return triggers.map(({ profileId, event, journeyFindings }) => {
    const findings: FrictionFinding[] = [...journeyFindings];
    const name = event.name;
    if (name !== null) {
      const loop = detectors.get('retry_loop');
      if (loop && loop.fires(name)) {
        const covered = new Set(context.journeyFailureEvents);
        for (const f of journeyFindings) if (f.type === 'retry_loop' && f.evidence.eventIds.includes(event.id)) covered.add(name);
        const found = detectRetryLoop(
          { profileId, trigger: event, events: around(profileId, event.timestamp, loop), reported: reportedNear(profileId, event.timestamp, loop), coveredEvents: [...covered] },
          config.retryLoop,
        );
        if (found) findings.push(found);
      }
      const feedback = detectNegativeFeedback(profileId, event, config.negativeFeedback);
      if (feedback) findings.push(feedback);
      const bursts = [
        ['support_burst', (input: BurstInput) => detectSupportBurst(input, config.supportBurst)],
        ['error_burst', (input: BurstInput) => detectErrorBurst(input, config.errorBurst)],
        ['rage_click', (input: BurstInput) => detectRageClick(input, config.rageClick)],
      ] as const;
      for (const [type, detect] of bursts) {
        const detector = detectors.get(type);
        if (!detector || !detector.fires(name)) continue;
        const found = detect({ profileId, trigger: event, events: around(profileId, event.timestamp, detector), reported: reportedNear(profileId, event.timestamp, detector) });
        if (found) findings.push(found);
      }
    }
    // recorded before the next event is looked at, as the per-event path stored them
    for (const f of findings) reported.push({ profileId: f.profileId, type: f.type, detectedAt: f.detectedAt, evidence: f.evidence });
    return findings;
  });
}

/** The window a stored signal reported (none when its evidence has no window). */
function reportedWindow(s: ReportedSignal, scopeKey: string | null): ReportedWindow[] {
  const { windowStart, windowEnd } = s.evidence as { windowStart?: unknown; windowEnd?: unknown };
  if (typeof windowStart !== 'string' || typeof windowEnd !== 'string') return [];
  const scope = scopeKey ? s.evidence[scopeKey] : null;
  return [{ start: new Date(windowStart), end: new Date(windowEnd), scope: typeof scope === 'string' ? scope : null }];
}

/** Findings of a batch, one per dedupe key (the first found), in the order found. */
export function uniqueFindings(perTrigger: readonly (readonly FrictionFinding[])[]): FrictionFinding[] {
  const seen = new Map<string, FrictionFinding>();
  for (const findings of perTrigger) for (const f of findings) if (!seen.has(f.dedupeKey)) seen.set(f.dedupeKey, f);
  return [...seen.values()];
}
