/**
 * Alert rules: what a tenant wants to be told about. A rule is versioned (its id is stable across
 * versions); an alert keeps the version it fired under.
 */

/** How urgent an alert is, in increasing order. */
export type AlertSeverityName = 'low' | 'medium' | 'high' | 'critical';
export const ALERT_SEVERITIES: readonly AlertSeverityName[] = ['low', 'medium', 'high', 'critical'];

/** Rank of a severity (low = 0 … critical = 3), for "at least this severe" filters. */
export function severityRank(severity: string): number {
  return ALERT_SEVERITIES.indexOf(severity as AlertSeverityName);
}

export const RISK_BUCKETS = ['low', 'medium', 'high'] as const;
export type RiskBucketName = (typeof RISK_BUCKETS)[number];

/**
 * A risk score crossing: either entering a bucket, or a numeric threshold with hysteresis (a
 * Schmitt trigger). Direction `up` fires when the score reaches `threshold` and re-arms only once it
 * falls below `threshold − hysteresis`; `down` fires when the score falls to `threshold` and re-arms
 * above `threshold + hysteresis`. `kind` null matches every score kind (the built-in rule).
 */
export type RiskCrossingTrigger =
  | { type: 'risk_crossing'; kind: string | null; bucket: RiskBucketName; threshold?: undefined }
  | { type: 'risk_crossing'; kind: string; bucket?: undefined; threshold: number; direction: 'up' | 'down'; hysteresis: number };

/** A friction signal of `signalType` with at least `minSeverity` (0–1); evaluated by `describeSignalFiring`. */
export interface FrictionSignalTrigger {
  type: 'friction_signal';
  signalType: string;
  minSeverity: number;
}

/** A profile entering or leaving a segment; evaluated by `describeSegmentFiring`. */
export interface SegmentTrigger {
  type: 'segment';
  segmentId: string;
  change: 'entered' | 'exited';
}

/** A journey instance reaching a state (of one journey, or of any when `journeyId` is null); `active` is the start. Evaluated by `describeJourneyFiring`. */
export interface JourneyTrigger {
  type: 'journey';
  journeyId: string | null;
  state: 'active' | 'stalled' | 'completed' | 'abandoned';
}

export type AlertTrigger = RiskCrossingTrigger | FrictionSignalTrigger | SegmentTrigger | JourneyTrigger;
export type AlertTriggerType = AlertTrigger['type'];

/** Extra facts that must hold when the trigger fires; every present one must (AND). */
export interface AlertConditions {
  /** The score's revenue at risk must be strictly above this (currency units). */
  revenueAtRiskAbove?: number | null;
  /** The score's customer lifetime value must be strictly above this. */
  clvAbove?: number | null;
  /** The profile must be in at least one of these segments when scored. */
  segmentIds?: readonly string[] | null;
}

/** One version of a rule, as evaluation needs it. */
export interface AlertRuleSpec {
  /** Stable across versions. */
  id: string;
  version: number;
  name: string;
  severity: AlertSeverityName;
  team: string;
  /** After an alert for a profile, this rule stays quiet for that profile this long. 0: never. */
  cooldownSeconds: number;
  trigger: AlertTrigger;
  conditions: AlertConditions;
  /** The tenant's default rule, the former hard-coded "entered High" alert. */
  builtIn: boolean;
  /** The playbook a firing enrols the profile in (its current version); null or absent: none. */
  playbookId?: string | null;
}

/** What every tenant starts with: the alert the platform raised before rules existed. */
export const DEFAULT_ALERT_RULE: Omit<AlertRuleSpec, 'id' | 'version'> = {
  name: 'Entered High risk',
  severity: 'high',
  team: 'cx',
  cooldownSeconds: 0,
  // every score kind, as the hard-coded alert did
  trigger: { type: 'risk_crossing', kind: null, bucket: 'high' },
  conditions: {},
  builtIn: true,
};

/** Facts of a risk bucket crossing, as the actions stage receives them. */
export interface RiskCrossing {
  score: number;
  bucket: string;
  previousBucket: string | null;
}

/**
 * The default alert rule: alert when a profile enters the High bucket (from any other bucket or
 * from no score at all). Moving within High, or down, raises nothing.
 */
export function shouldAlertOnCrossing(crossing: RiskCrossing): boolean {
  return enteredBucket(crossing, 'high');
}

/** True when the score moved into `bucket` from another bucket or from no score at all. */
export function enteredBucket(crossing: Pick<RiskCrossing, 'bucket' | 'previousBucket'>, bucket: string): boolean {
  return crossing.bucket === bucket && crossing.previousBucket !== bucket;
}

/** The human-readable line shown in the alert. */
export function describeCrossing(crossing: RiskCrossing): string {
  const from = crossing.previousBucket ?? 'unscored';
  return `Churn risk rose to ${Math.round(crossing.score)}/100 (${from} → ${crossing.bucket}).`;
}
