import { completionIndex, type JourneyCondition, type JourneySpec } from './definition';

/**
 * How a journey advances, as a pure function of the instance's matching events sorted by event
 * time: the same events give the same instances and states whatever order they arrived in.
 */

/** Lifecycle of a journey instance. `stalled` is still open: reaching a later step makes it active again. */
export type JourneyState = 'active' | 'completed' | 'stalled' | 'abandoned';

/** An event as journeys see it. */
export interface JourneyEventInput {
  name: string | null;
  properties: Record<string, unknown>;
}

/** What one event means to one journey: the steps it reaches and the steps it is a failed attempt at. */
export interface JourneyMatch {
  steps: string[];
  failures: string[];
}

/** A matched event of one profile for one journey (the stored `JourneyEvent` row). */
export interface JourneyEventRecord extends JourneyMatch {
  eventId: string;
  timestamp: Date;
}

/** When a step was first reached, and by which event. */
export interface StepReached {
  key: string;
  reachedAt: Date;
  eventId: string;
}

/** The event-derived part of an instance's state. */
export interface JourneyProgress {
  startedAt: Date;
  startEventId: string;
  lastEventAt: Date;
  lastEventId: string;
  /** Key and index of the furthest step reached. */
  currentStep: string;
  currentStepIndex: number;
  /** Reached steps in step order (a skipped step has no entry). */
  steps: StepReached[];
  completedAt: Date | null;
}

/**
 * The steps an event reaches and the steps it is a failure of; null when it means nothing to the
 * journey. Only the event name and `properties` are looked at.
 */
export function matchJourneyEvent(spec: JourneySpec, event: JourneyEventInput): JourneyMatch | null {
  if (!event.name) return null;
  const steps = spec.steps.filter((s) => s.event === event.name && s.conditions.every((c) => conditionHolds(c, event.properties))).map((s) => s.key);
  const failures = spec.steps.filter((s) => s.failureEvents.includes(event.name!)).map((s) => s.key);
  return steps.length || failures.length ? { steps, failures } : null;
}

function conditionHolds(condition: JourneyCondition, properties: Record<string, unknown>): boolean {
  let value: unknown = properties;
  for (const part of condition.property.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    value = (value as Record<string, unknown>)[part];
  }
  // a missing property equals nothing, not even `null`
  if (value === undefined) return false;
  if (condition.in) return condition.in.some((v) => v === value);
  return value === condition.equals;
}

/** Event-time order, ties broken by event id so every replay sees one order. */
export function compareJourneyEvents(a: JourneyEventRecord, b: JourneyEventRecord): number {
  return a.timestamp.getTime() - b.timestamp.getTime() || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
}

/**
 * Splits one profile's matched events (any order) into instances. An instance starts at an event
 * reaching the first step when no instance is open; it stays open until its completion event or
 * until the journey SLA has passed since its start. Events outside every instance (a failure or
 * a later step before any start, or after a completion) belong to none and are dropped.
 */
export function partitionJourneyEvents(spec: JourneySpec, records: readonly JourneyEventRecord[]): JourneyEventRecord[][] {
  const first = spec.steps[0].key;
  const done = completionIndex(spec);
  const partitions: JourneyEventRecord[][] = [];
  let open: { events: JourneyEventRecord[]; startMs: number; completed: boolean } | null = null;
  for (const record of [...records].sort(compareJourneyEvents)) {
    const t = record.timestamp.getTime();
    if (open && !open.completed && t - open.startMs <= spec.slaMs) {
      open.events.push(record);
      if (record.steps.some((k) => stepIndex(spec, k) >= done)) open.completed = true;
    } else if (record.steps.includes(first)) {
      open = { events: [record], startMs: t, completed: record.steps.some((k) => stepIndex(spec, k) >= done) };
      partitions.push(open.events);
    }
  }
  return partitions;
}

/** Replays one instance's events (as returned by `partitionJourneyEvents`, first step first). */
export function replayJourney(spec: JourneySpec, events: readonly JourneyEventRecord[]): JourneyProgress {
  if (!events.length || !events[0].steps.includes(spec.steps[0].key)) {
    throw new RangeError(`replayJourney: an instance starts with an event reaching step "${spec.steps[0].key}"`);
  }
  const done = completionIndex(spec);
  const reached = new Map<number, StepReached>();
  let current = -1;
  let completedAt: Date | null = null;
  for (const e of events) {
    const furthest = Math.max(...e.steps.map((k) => stepIndex(spec, k)), -1);
    if (furthest > current) {
      current = furthest;
      reached.set(furthest, { key: spec.steps[furthest].key, reachedAt: e.timestamp, eventId: e.eventId });
      if (furthest >= done && !completedAt) completedAt = e.timestamp;
    }
  }
  const last = events.at(-1)!;
  return {
    startedAt: events[0].timestamp,
    startEventId: events[0].eventId,
    lastEventAt: last.timestamp,
    lastEventId: last.eventId,
    currentStep: spec.steps[current].key,
    currentStepIndex: current,
    steps: [...reached.entries()].sort(([a], [b]) => a - b).map(([, s]) => s),
    completedAt,
  };
}

/** Index of a step key in the definition, -1 when the definition no longer has it. */
export function stepIndex(spec: JourneySpec, key: string): number {
  return spec.steps.findIndex((s) => s.key === key);
}

/**
 * Time spent at each reached step until the next reached step, in ms (null for the last one):
 * what the funnel's median time per step is computed from.
 */
export function stepDurations(progress: Pick<JourneyProgress, 'steps'>): (number | null)[] {
  return progress.steps.map((s, i) => {
    const next = progress.steps[i + 1];
    return next ? next.reachedAt.getTime() - s.reachedAt.getTime() : null;
  });
}
