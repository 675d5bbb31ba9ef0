/**
 * Point-in-time training rows: for each snapshot date, a profile's features as of that date and
 * its label from the window after it. Only profiles whose whole label window is observed are used,
 * and profiles that had already churned by the snapshot are left out.
 */
import { buildFeatures, type FeatureOptions } from './features';
import { DAY_MS, type ProfileHistory } from './history';
import type { TrainingExample } from './logistic-regression';

/**
 * What "churned" means for this tenant:
 * - `event`: performs `event` within `withinDays` after the snapshot (e.g. `Subscription Cancelled`);
 * - `inactivity`: no activity (`activity: 'any'`) or no purchase (`'purchase'`) for `days` after it.
 */
export type LabelDefinition =
  | { kind: 'event'; event: string; withinDays: number }
  | { kind: 'inactivity'; days: number; activity: 'any' | 'purchase' };

export interface TrainingRow extends TrainingExample {
  profileId: string;
  snapshot: Date;
}

/** Days after a snapshot its label needs to be observed. */
export function labelHorizonDays(label: LabelDefinition): number {
  return label.kind === 'event' ? label.withinDays : label.days;
}

export function validateLabel(label: LabelDefinition): void {
  const horizon = labelHorizonDays(label);
  if (!(Number.isFinite(horizon) && horizon > 0)) throw new RangeError('label: the window must be a positive number of days');
  if (label.kind === 'event' && !label.event.trim()) throw new RangeError('label: event must be a non-empty event name');
}

/**
 * Snapshot dates: `count` dates `everyDays` apart, the last one a full label window before
 * `dataEnd` (so every label is observed).
 */
export function snapshotDates(dataEnd: Date, label: LabelDefinition, everyDays: number, count: number): Date[] {
  const last = dataEnd.getTime() - labelHorizonDays(label) * DAY_MS;
  return Array.from({ length: count }, (_, i) => new Date(last - (count - 1 - i) * everyDays * DAY_MS));
}

/**
 * The label of a profile at a snapshot, or null when the profile is not eligible: no activity yet
 * (or, for `purchase` inactivity, no purchase yet), already churned, or the window runs past
 * `dataEnd`.
 */
export function labelAt(history: ProfileHistory, snapshot: Date, label: LabelDefinition, dataEnd: Date, purchaseEvent: string): 0 | 1 | null {
  const s = snapshot.getTime();
  const end = s + labelHorizonDays(label) * DAY_MS;
  if (end > dataEnd.getTime()) return null;
  const before = history.events.filter((e) => e.timestamp.getTime() <= s);
  if (before.length === 0) return null;
  const after = history.events.filter((e) => e.timestamp.getTime() > s && e.timestamp.getTime() <= end);
  if (label.kind === 'event') {
    if (before.some((e) => e.name === label.event)) return null;
    return after.some((e) => e.name === label.event) ? 1 : 0;
  }
  const counts = (e: { name: string | null }) => label.activity === 'any' || e.name === purchaseEvent;
  const lastBefore = before.filter(counts).at(-1);
  // never active in this sense, or already gone for a whole window: not a customer to predict for
  if (!lastBefore || lastBefore.timestamp.getTime() <= s - label.days * DAY_MS) return null;
  return after.some(counts) ? 0 : 1;
}

export function buildTrainingSet(
  histories: readonly ProfileHistory[],
  label: LabelDefinition,
  snapshots: readonly Date[],
  dataEnd: Date,
  options: FeatureOptions,
): TrainingRow[] {
  validateLabel(label);
  const rows: TrainingRow[] = [];
  for (const history of histories) {
    for (const snapshot of snapshots) {
      const y = labelAt(history, snapshot, label, dataEnd, options.purchaseEvent);
      if (y === null) continue;
      rows.push({ profileId: history.profileId, snapshot, label: y, features: buildFeatures(history, snapshot, options).values });
    }
  }
  return rows;
}
