/**
 * What the risk stage knows of one profile, as plain data (risk's own copy, fed by
 * `record-activity`). Features, labels and lifetime inputs are all computed from this, as of a
 * date, so training rows and live scores come from the same code.
 */
export interface HistoryEvent {
  id: string;
  /** The stored row's id: orders items of the same time (histories are read ordered by time, then row id). */
  key?: string;
  type: string;
  /** `track` event name, or the page/screen name. */
  name: string | null;
  timestamp: Date;
  revenue: number | null;
  /** identify/group traits. */
  traits?: Record<string, unknown> | null;
}

export interface HistorySignal {
  id: string;
  /** The stored row's id: orders items of the same time (histories are read ordered by time, then row id). */
  key?: string;
  type: string;
  /** 0–1. */
  severity: number;
  detectedAt: Date;
  summary: string;
}

export interface HistoryJourney {
  instanceId: string;
  /** The stored row's id: orders items of the same time (histories are read ordered by time, then row id). */
  key?: string;
  journeyName: string;
  state: 'active' | 'stalled' | 'completed' | 'abandoned';
  observedAt: Date;
}

export interface ProfileHistory {
  profileId: string;
  /** Ascending by timestamp. */
  events: HistoryEvent[];
  /** Ascending by detectedAt. */
  signals: HistorySignal[];
  /** Journey snapshots, ascending by observedAt. */
  journeys: HistoryJourney[];
}

export const DAY_MS = 86_400_000;

/** Whole days from `from` to `to` (fractional). */
export const daysBetween = (from: Date, to: Date): number => (to.getTime() - from.getTime()) / DAY_MS;

/** Distinct UTC calendar days of these times, ascending (a day is `floor(ms / DAY_MS)`). */
export function distinctDays(times: readonly Date[]): number[] {
  return [...new Set(times.map((t) => Math.floor(t.getTime() / DAY_MS)))].sort((a, b) => a - b);
}

/** Median of the gaps between consecutive distinct days, or null with fewer than two days. */
export function medianGapDays(days: readonly number[]): number | null {
  if (days.length < 2) return null;
  const gaps = days.slice(1).map((d, i) => d - days[i]).sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  return gaps.length % 2 ? gaps[mid] : (gaps[mid - 1] + gaps[mid]) / 2;
}

/** Each journey instance's latest state as of `at` (ms): snapshots observed later are ignored. */
export function latestJourneyStates(journeys: readonly HistoryJourney[], at: number): Map<string, { state: HistoryJourney['state']; observedAt: number }> {
  const latest = new Map<string, { state: HistoryJourney['state']; observedAt: number }>();
  for (const j of journeys) {
    const t = j.observedAt.getTime();
    if (t > at) continue;
    const seen = latest.get(j.instanceId);
    if (!seen || t >= seen.observedAt) latest.set(j.instanceId, { state: j.state, observedAt: t });
  }
  return latest;
}
