/** What a detector reads of a stored event. */
export interface FrictionEvent {
  id: string;
  /** `track` event name, or the page/screen name; null for identify and the like. */
  name: string | null;
  /** When it happened (corrected for clock skew). */
  timestamp: Date;
  properties: Record<string, unknown>;
}

/** A time span already reported for a profile, so a late, earlier event does not report it again. */
export interface ReportedWindow {
  start: Date;
  end: Date;
  /** The detector's scope inside the type (event name, element, …); null matches any. */
  scope: string | null;
}

/** Most event ids kept in a finding's evidence. */
export const MAX_EVIDENCE_IDS = 50;

/** Events in time order, ties broken by id, so the result never depends on arrival order. */
export function byTime<E extends FrictionEvent>(events: readonly E[]): E[] {
  return [...events].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Groups of at least `minCount` events, each within `windowMs` of its group's first event, with
 * no reset event between: scanning in time order, a group starts at the first event not yet in
 * a group and takes every later event within the window (up to a reset); a group too small is
 * dropped and the scan moves on by one. Deterministic for a set of events, whatever their order.
 */
export function findRuns<E extends FrictionEvent>(
  events: readonly E[],
  { minCount, windowMs, isReset = () => false }: { minCount: number; windowMs: number; isReset?: (e: E) => boolean },
): E[][] {
  const sorted = byTime(events);
  const runs: E[][] = [];
  let i = 0;
  while (i < sorted.length) {
    if (isReset(sorted[i])) {
      i++;
      continue;
    }
    const start = sorted[i].timestamp.getTime();
    const run: E[] = [];
    let j = i;
    for (; j < sorted.length && sorted[j].timestamp.getTime() - start <= windowMs; j++) {
      if (isReset(sorted[j])) break;
      run.push(sorted[j]);
    }
    if (run.length >= minCount) {
      runs.push(run);
      i = j;
    } else i++;
  }
  return runs;
}

/**
 * The run that contains `triggerId`, unless it overlaps a window already reported for its scope.
 * A reported window starting where the run starts is the same friction (the same dedupe key), so
 * it does not suppress the run: a replay reports it again and the store ignores the duplicate.
 */
export function runForTrigger<E extends FrictionEvent>(runs: E[][], triggerId: string, reported: readonly ReportedWindow[], scope: string | null): E[] | null {
  const run = runs.find((r) => r.some((e) => e.id === triggerId));
  if (!run) return null;
  const start = run[0].timestamp.getTime();
  const end = run[run.length - 1].timestamp.getTime();
  const overlaps = reported.some(
    (w) =>
      (w.scope === null || scope === null || w.scope === scope) &&
      w.start.getTime() !== start &&
      w.start.getTime() <= end &&
      w.end.getTime() >= start,
  );
  return overlaps ? null : run;
}

/** "45 s", "4 min", "3 h", "2 days". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 48 * 3_600_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} days`;
}

/** A number from a property that may arrive as a numeric string; null otherwise. */
export function numericProperty(properties: Record<string, unknown>, key: string): number | null {
  const v = properties[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
}

/** Severity from how far a count goes past its threshold: `base` at the threshold, +`step` per extra event, at most 1. */
export function burstSeverity(count: number, threshold: number, base: number, step = 0.1): number {
  return Math.round(Math.min(1, base + step * Math.max(0, count - threshold)) * 100) / 100;
}

/** Lower-case, non-alphanumerics to `_`: a dedupe-key segment. */
export function keySegment(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 80) || 'none';
}
