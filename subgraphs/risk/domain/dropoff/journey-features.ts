/**
 * Journey drop-off: will this open journey instance be abandoned rather than completed? Features
 * of an instance as of a date, from the snapshots signals sends at every state change (one per
 * instance, state and step), the typical time per step, and the training rows of finished
 * instances. The same `journeyFeatures` builds training rows and live scores, as of a date.
 */
import type { FeatureSpec } from '../churn/logistic-regression';

/** One journey instance snapshot (risk's `journey_snapshot` row): the instance as it was at `observedAt`. */
export interface JourneySnapshotInput {
  instanceId: string;
  /** The profile the instance belongs to, when read from storage (scoring many profiles at once). */
  profileId?: string;
  journeyId: string;
  journeyName: string;
  state: 'active' | 'stalled' | 'completed' | 'abandoned';
  /** Index of the furthest step reached (0-based), and how many steps the journey has. */
  stepIndex: number;
  stepCount: number;
  /** Key of that step, e.g. `id_upload`. */
  step: string;
  stepReachedAt: Date;
  /** The step's SLA (longest expected time before moving on), ms; null when it has none. */
  stepSlaMs: number | null;
  startedAt: Date;
  /** Retry-loop signals on the instance by `observedAt`. */
  retries: number;
  /** When the instance completed or was abandoned; null while open. */
  endedAt: Date | null;
  /** When this state began (the step's event, the stall or abandonment deadline, the completion event). */
  observedAt: Date;
}

/** Feature values (numbers, the journey name, null when unknown) and plain words for each. */
export interface JourneyFeatureSnapshot {
  values: Record<string, number | string | null>;
  describe: Record<string, string>;
}

/** One training row: an instance's features as it left one step, and how the instance ended. */
export interface DropOffTrainingRow {
  instanceId: string;
  features: Record<string, number | string | null>;
  /** 1: the instance was abandoned; 0: it completed. */
  label: 0 | 1;
}

/**
 * The drop-off model's features:
 * - `journey` (categorical): the journey's name, so each journey gets its own base rate;
 * - `step_progress`: stepIndex / (stepCount − 1), 0 for a one-step journey; in [0, 1];
 * - `step_index`: the furthest step reached (0-based);
 * - `minutes_in_step`: minutes since the step was reached, until `asOf` (or the end of a finished instance);
 * - `time_in_step_ratio`: minutes in step / typical minutes at this step, null when no typical time is known;
 * - `retries`: retry-loop signals on the instance so far;
 * - `stalled`: 1 when stalled at the step (see `journeyFeatures`), else 0;
 * - `minutes_since_start`: minutes since the instance started, until `asOf` (or its end).
 */
export const DROP_OFF_FEATURES: FeatureSpec = {
  numeric: ['step_progress', 'step_index', 'minutes_in_step', 'time_in_step_ratio', 'retries', 'stalled', 'minutes_since_start'],
  categorical: ['journey'],
};

const MINUTE_MS = 60_000;
const round1 = (n: number) => Math.round(n * 10) / 10;
const round2 = (n: number) => Math.round(n * 100) / 100;
const plural = (n: number, word: string, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

/** Key of `typicalStepTimes`: one per journey and step index. */
export function typicalStepKey(journeyId: string, stepIndex: number): string {
  return `${journeyId}-${stepIndex}`;
}

/**
 * Features of an instance as of `asOf`, from its latest snapshot at or before `asOf` (a RangeError
 * otherwise). `typicalStepMs` is the typical time at this step (`typicalStepTimes`), null when unknown.
 *
 * Time stops at `endedAt` for a finished instance. `stalled` is 1 for a `stalled` snapshot, and also
 * for an `active` one once `asOf` is past the step's SLA deadline (stepReachedAt + stepSlaMs): the
 * sweep that marks the stall may run late, and the deadline is what the stall means, so training
 * rows and live scores agree whatever the sweep's timing.
 */
export function journeyFeatures(latest: JourneySnapshotInput, asOf: Date, typicalStepMs: number | null): JourneyFeatureSnapshot {
  if (asOf.getTime() < latest.observedAt.getTime()) {
    throw new RangeError(
      `journeyFeatures: the snapshot must be at or before asOf (observedAt=${latest.observedAt.toISOString()}, asOf=${asOf.toISOString()})`,
    );
  }
  const until = Math.min(asOf.getTime(), latest.endedAt?.getTime() ?? Infinity);
  const minutesInStep = Math.max(0, until - latest.stepReachedAt.getTime()) / MINUTE_MS;
  const minutesSinceStart = Math.max(0, until - latest.startedAt.getTime()) / MINUTE_MS;
  const typicalMinutes = typicalStepMs !== null && Number.isFinite(typicalStepMs) && typicalStepMs > 0 ? typicalStepMs / MINUTE_MS : null;
  const pastSla = latest.state === 'active' && latest.stepSlaMs !== null && until > latest.stepReachedAt.getTime() + latest.stepSlaMs;
  const stalled = latest.state === 'stalled' || pastSla ? 1 : 0;
  const progress = latest.stepCount > 1 ? Math.min(1, Math.max(0, latest.stepIndex / (latest.stepCount - 1))) : 0;

  const values: Record<string, number | string | null> = {
    journey: latest.journeyName,
    step_progress: round2(progress),
    step_index: latest.stepIndex,
    minutes_in_step: round1(minutesInStep),
    time_in_step_ratio: typicalMinutes !== null ? round2(minutesInStep / typicalMinutes) : null,
    retries: latest.retries,
    stalled,
    minutes_since_start: round1(minutesSinceStart),
  };
  const inStep = `${Math.round(minutesInStep)} min at step ${latest.step}${typicalMinutes !== null ? ` vs typical ${Math.round(typicalMinutes)}` : ''}`;
  const describe: Record<string, string> = {
    journey: `journey "${latest.journeyName}"`,
    step_progress: `at step ${latest.stepIndex + 1} of ${latest.stepCount} (${latest.step})`,
    step_index: `at step ${latest.stepIndex + 1} of ${latest.stepCount} (${latest.step})`,
    minutes_in_step: inStep,
    time_in_step_ratio: typicalMinutes !== null ? inStep : `no typical time known for step ${latest.step}`,
    retries: latest.retries ? plural(latest.retries, 'retry', 'retries') : 'no retries',
    stalled: stalled ? `stalled at ${latest.step}` : 'not stalled',
    minutes_since_start: latest.endedAt && latest.endedAt.getTime() <= asOf.getTime()
      ? `journey took ${Math.round(minutesSinceStart)} min`
      : `${Math.round(minutesSinceStart)} min since the journey started`,
  };
  return { values, describe };
}

/** Order of states observed at the same instant: an open state before the one that replaced it. */
const STATE_ORDER: Record<JourneySnapshotInput['state'], number> = { active: 0, stalled: 1, completed: 2, abandoned: 2 };

/** Snapshots in the order they happened: by `observedAt`, then state, then step. */
function chronological(snapshots: readonly JourneySnapshotInput[]): JourneySnapshotInput[] {
  return [...snapshots].sort(
    (a, b) => a.observedAt.getTime() - b.observedAt.getTime() || STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.stepIndex - b.stepIndex,
  );
}

function median(sorted: readonly number[]): number {
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Typical (median) time spent at each (journeyId, stepIndex) before moving on, in ms, keyed by
 * `typicalStepKey`. An instance's time at a step is from reaching it (`stepReachedAt`) to reaching
 * the next step it reached (a skipped step is passed, not spent at). Only steps an instance moved
 * on from count: time at the step where it still is, or where it ended, is censored and left out
 * (as in the signals funnel's median time per step), so the typical time describes those who went on.
 * Steps no instance moved on from have no entry. Finished and open instances alike contribute.
 */
export function typicalStepTimes(snapshotsByInstance: ReadonlyMap<string, readonly JourneySnapshotInput[]>): Map<string, number> {
  const durations = new Map<string, number[]>();
  for (const snapshots of snapshotsByInstance.values()) {
    // when each step was reached (every snapshot at a step carries the same reach time; the first wins)
    const reachedAt = new Map<number, { journeyId: string; at: number }>();
    for (const s of chronological(snapshots)) {
      if (!reachedAt.has(s.stepIndex)) reachedAt.set(s.stepIndex, { journeyId: s.journeyId, at: s.stepReachedAt.getTime() });
    }
    const steps = [...reachedAt.entries()].sort(([a], [b]) => a - b);
    for (let i = 0; i + 1 < steps.length; i++) {
      const [index, { journeyId, at }] = steps[i];
      const spent = steps[i + 1][1].at - at;
      if (!(spent >= 0)) continue;
      const key = typicalStepKey(journeyId, index);
      const seen = durations.get(key);
      if (seen) seen.push(spent);
      else durations.set(key, [spent]);
    }
  }
  return new Map([...durations].map(([key, values]) => [key, median(values.sort((a, b) => a - b))]));
}

/**
 * Training rows of the drop-off model. Only finished instances give rows: label 0 when completed,
 * 1 when abandoned; instances still active or stalled (outcome unknown) give none. A completion
 * wins over an abandonment (signals lets a late completion event inside the SLA override the
 * abandonment mark, so both snapshots can exist, the completion observed first).
 *
 * Each open (active or stalled) snapshot before the end gives one row: its features as of the
 * moment the instance left that state, i.e. the next snapshot's `observedAt` (the time spent at the
 * step is then known in full, with the typical time of its (journey, step) from `typical`). Open
 * snapshots observed after the end are dropped (a late completion event showed they never held). An
 * instance that ended at its first snapshot gives no row. Rows come in map order, then time order.
 */
export function buildDropOffTrainingSet(
  snapshotsByInstance: ReadonlyMap<string, readonly JourneySnapshotInput[]>,
  typical: ReadonlyMap<string, number>,
): DropOffTrainingRow[] {
  const rows: DropOffTrainingRow[] = [];
  for (const [instanceId, snapshots] of snapshotsByInstance) {
    const ordered = chronological(snapshots);
    const end = ordered.find((s) => s.state === 'completed') ?? ordered.find((s) => s.state === 'abandoned');
    if (!end) continue;
    const label: 0 | 1 = end.state === 'completed' ? 0 : 1;
    const path = [...ordered.filter((s) => (s.state === 'active' || s.state === 'stalled') && s.observedAt.getTime() <= end.observedAt.getTime()), end];
    for (let i = 0; i + 1 < path.length; i++) {
      const s = path[i];
      const features = journeyFeatures(s, path[i + 1].observedAt, typical.get(typicalStepKey(s.journeyId, s.stepIndex)) ?? null).values;
      rows.push({ instanceId, features, label });
    }
  }
  return rows;
}
