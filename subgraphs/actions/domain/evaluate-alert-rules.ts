import { describeCrossing, enteredBucket, type AlertConditions, type AlertRuleSpec, type RiskCrossingTrigger } from './alert-rule';

/** Why a score is what it is, as risk explains it. */
export interface ScoreReason {
  factor: string;
  contribution: number;
  description: string;
  evidence: string[];
}

/** A risk change the actions stage evaluates rules against (one item of a `raise-alerts` batch). */
export interface RiskChangeFacts {
  profileId: string;
  /** The risk score row; uuidv7, so later scores sort after earlier ones. */
  scoreId: string;
  /** `churn`, `drop_off`, …; null for a job queued before batches, which did not say. */
  kind: string | null;
  score: number;
  previousScore: number | null;
  bucket: string;
  previousBucket: string | null;
  clv: number | null;
  revenueAtRisk: number | null;
  reasons: ScoreReason[];
  /** Segments the profile was in when scored. */
  segmentIds: string[];
  /** When the score was computed; absent for a job that did not say. */
  scoredAt?: Date | null;
}

/** What a rule remembers per profile. */
export interface RuleState {
  ruleId: string;
  profileId: string;
  /** The trigger's output after the last score seen: for a threshold, the Schmitt trigger's side; for a bucket, being in it. */
  active: boolean;
  /** The last score evaluated; an older or equal one (a replay, or a late change) moves nothing, and only a bucket entry still fires. */
  lastTriggerId: string | null;
  /** When this rule last raised an alert for the profile, for the cool-down. */
  lastFiredAt: Date | null;
}

/** A rule that fired for a change: the alert to create. */
export interface Firing {
  rule: AlertRuleSpec;
  change: RiskChangeFacts;
  /** Idempotency key of the alert: the rule and the score that fired it (a score id names its profile). */
  sourceKey: string;
  type: string;
  message: string;
}

/** Key of a (rule, profile) state. */
export function stateKey(ruleId: string, profileId: string): string {
  return `${ruleId}|${profileId}`;
}

/**
 * Evaluates every risk-crossing rule against every change, in the order given (a profile's
 * changes arrive in score order). Pure: reads `states` (keyed by `stateKey`, not modified) and
 * returns the alerts to raise and every state it moved. A trigger that fires while a condition
 * fails or inside the cool-down raises nothing but still moves the state, so a threshold rule fires
 * on the next real crossing, not on the next score that happens to meet the conditions.
 */
export function evaluateRiskChanges(
  rules: readonly AlertRuleSpec[],
  changes: readonly RiskChangeFacts[],
  states: ReadonlyMap<string, RuleState>,
  now: Date,
): { firings: Firing[]; states: RuleState[] } {
  const current = new Map(states);
  const touched = new Set<string>();
  const firings: Firing[] = [];
  for (const change of changes) {
    for (const rule of rules) {
      const trigger = rule.trigger;
      if (trigger.type !== 'risk_crossing' || (trigger.kind !== null && trigger.kind !== change.kind)) continue;
      const key = stateKey(rule.id, change.profileId);
      const before = current.get(key) ?? null;
      if (before?.lastTriggerId != null && change.scoreId <= before.lastTriggerId) {
        // older than the last score seen: a replay, or a change that arrives late (its job ran
        // after a newer one, e.g. retried after its worker died). A bucket entry is a fact of the
        // change itself (its previous bucket), so it still fires, once (alerts are keyed on rule +
        // score), and the state, which holds newer news, stays. A threshold's side depends on the
        // scores before it (hysteresis): a late one is skipped rather than fire a suppressed flap.
        if (trigger.bucket !== undefined && enteredBucket(change, trigger.bucket) && meetsConditions(rule.conditions, change) && !coolingDown(rule, before, now)) {
          firings.push(firingOf(rule, trigger, change));
        }
        continue;
      }
      const { triggered, active } = stepTrigger(trigger, before, change);
      const fires = triggered && meetsConditions(rule.conditions, change) && !coolingDown(rule, before, now);
      current.set(key, {
        ruleId: rule.id,
        profileId: change.profileId,
        active,
        lastTriggerId: change.scoreId,
        lastFiredAt: fires ? now : (before?.lastFiredAt ?? null),
      });
      touched.add(key);
      if (fires) firings.push(firingOf(rule, trigger, change));
    }
  }
  return { firings, states: [...touched].map((key) => current.get(key)!) };
}

/**
 * One step of a risk-crossing trigger. Bucket: fires on entering the bucket (the change carries the
 * previous bucket). Threshold: a Schmitt trigger; without a stored state the previous score decides
 * which side the profile was on, so a rule added later does not fire for profiles already past it.
 */
export function stepTrigger(trigger: RiskCrossingTrigger, state: Pick<RuleState, 'active'> | null, change: Pick<RiskChangeFacts, 'score' | 'previousScore' | 'bucket' | 'previousBucket'>): { triggered: boolean; active: boolean } {
  if (trigger.bucket !== undefined) return { triggered: enteredBucket(change, trigger.bucket), active: change.bucket === trigger.bucket };
  const { threshold, hysteresis } = trigger;
  const up = trigger.direction === 'up';
  const past = (score: number) => (up ? score >= threshold : score <= threshold);
  const back = (score: number) => (up ? score < threshold - hysteresis : score > threshold + hysteresis);
  const wasActive = state ? state.active : change.previousScore !== null && past(change.previousScore);
  const active = wasActive ? !back(change.score) : past(change.score);
  return { triggered: !wasActive && active, active };
}

/** True when every condition of the rule holds for the change (a missing CLV or revenue fails its condition). */
export function meetsConditions(conditions: AlertConditions, change: Pick<RiskChangeFacts, 'clv' | 'revenueAtRisk' | 'segmentIds'>): boolean {
  if (conditions.revenueAtRiskAbove != null && !(change.revenueAtRisk !== null && change.revenueAtRisk > conditions.revenueAtRiskAbove)) return false;
  if (conditions.clvAbove != null && !(change.clv !== null && change.clv > conditions.clvAbove)) return false;
  if (conditions.segmentIds?.length && !conditions.segmentIds.some((id) => change.segmentIds.includes(id))) return false;
  return true;
}

/** True while the rule's cool-down after its last alert for this profile runs. */
export function coolingDown(rule: Pick<AlertRuleSpec, 'cooldownSeconds'>, state: Pick<RuleState, 'lastFiredAt'> | null, now: Date): boolean {
  return rule.cooldownSeconds > 0 && state?.lastFiredAt != null && now.getTime() - state.lastFiredAt.getTime() < rule.cooldownSeconds * 1000;
}

function firingOf(rule: AlertRuleSpec, trigger: RiskCrossingTrigger, change: RiskChangeFacts): Firing {
  // the built-in rule keeps the key the hard-coded alert used, so a job queued before rules existed raises nothing twice
  const sourceKey = rule.builtIn ? `risk-${change.scoreId}` : `${rule.id}-risk-${change.scoreId}`;
  const kind = change.kind ?? 'risk';
  const score = Math.round(change.score);
  if (trigger.bucket !== undefined) {
    const type = `risk_${trigger.bucket}`;
    // the built-in rule's text is the hard-coded alert's, word for word
    if (rule.builtIn) return { rule, change, sourceKey, type, message: describeCrossing(change) };
    const from = change.previousBucket ?? 'unscored';
    return { rule, change, sourceKey, type, message: `${rule.name}: ${kind} risk ${score}/100 (${from} → ${change.bucket}).` };
  }
  const from = change.previousScore === null ? 'unscored' : String(Math.round(change.previousScore));
  const verb = trigger.direction === 'up' ? 'rose to' : 'fell to';
  return { rule, change, sourceKey, type: 'risk_threshold', message: `${rule.name}: ${kind} risk ${verb} ${score}/100 (from ${from}; threshold ${trigger.threshold}).` };
}
