/**
 * What every friction detector returns: a typed, explained signal ready to be stored. Detectors
 * are pure functions of (events, state, thresholds, now); the detect worker stores findings with
 * `SignalService.record`, which dedupes on `dedupeKey`.
 */
export type FrictionType =
  | 'retry_loop'
  | 'stall'
  | 'mid_journey_exit'
  | 'abandonment'
  | 'inactivity_drop'
  | 'negative_feedback'
  | 'support_burst'
  | 'error_burst'
  | 'rage_click';

export interface FrictionFinding {
  type: FrictionType;
  profileId: string;
  /** Journey instance the friction happened in, when there is one. */
  journeyInstanceId?: string | null;
  /** 0 (mild) to 1 (severe). */
  severity: number;
  detectedAt: Date;
  /**
   * Human-readable `summary` (e.g. "3 failed ID uploads in 4 min") plus the machine-readable
   * numbers and the ids of the events that triggered it.
   */
  evidence: { summary: string; eventIds: string[] } & Record<string, unknown>;
  /**
   * Same friction ⇒ same key, so a replayed job or an overlapping sweep records it once.
   * Convention: `<type>-<profileId>-<scope>-<window start ms>`.
   */
  dedupeKey: string;
}
