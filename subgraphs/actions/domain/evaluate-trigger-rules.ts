import type { AlertRuleSpec } from './alert-rule';
import { meetsConditions, stateKey, type RuleState, type ScoreReason } from './evaluate-alert-rules';

/**
 * Event-like triggers (a friction signal, a segment entry or exit, a journey state): each fact
 * fires a matching rule at most once, keyed on the rule and the fact, unlike a risk crossing,
 * whose rules keep a side per profile.
 */

/** What every event-like fact carries for the rules' conditions. */
export interface TriggerFacts {
  profileId: string;
  /** When it happened: the cool-down is measured between the facts that fired, not between evaluations. */
  at: Date;
  /** Segments the profile is known to be in; empty when none are known. */
  segmentIds: readonly string[];
}

/** What a matching rule raises for a fact (before the rule and the profile are attached). */
export interface TriggerAlert {
  /** Idempotency key of the alert: the rule and the fact. */
  sourceKey: string;
  /** The fact's id (the signal, the membership, the journey instance). */
  triggerId: string;
  type: string;
  message: string;
  /** The alert's 0–100 number (a signal's severity × 100; 0 where there is none). */
  score: number;
  reasons: ScoreReason[];
}

/** A rule that fired for a fact: the alert to create. */
export interface TriggerFiring extends TriggerAlert {
  rule: AlertRuleSpec;
  profileId: string;
  /** When the fact happened. */
  at: Date;
}

/** The alert a rule raises for a fact, or null when the rule's trigger does not match it. */
export type DescribeFiring<F> = (rule: AlertRuleSpec, fact: F) => TriggerAlert | null;

/**
 * Evaluates every rule against every fact, in the order given. A rule fires for a fact its
 * trigger matches (`describe`) when its conditions hold (a fact carries no CLV or revenue at risk,
 * so a condition on either never holds) and the fact happened at least the cool-down away from
 * the fact of the rule's last alert for the profile (either side: a fact re-sent late, or arriving
 * out of order, is judged by when it happened, so the outcome does not depend on when a job ran).
 * Pure: reads `states` (keyed by `stateKey`, not modified) and `raised` (source keys whose alert is
 * already stored: a replayed fact changes nothing, not even the cool-down), and returns the alerts
 * to raise and every state it moved. A match that does not fire moves nothing, so the cool-down
 * counts from the last alert. `_now` is kept for symmetry with the risk evaluation.
 */
export function evaluateTriggers<F extends TriggerFacts>(
  rules: readonly AlertRuleSpec[],
  facts: readonly F[],
  describe: DescribeFiring<F>,
  states: ReadonlyMap<string, RuleState>,
  raised: ReadonlySet<string>,
  _now?: Date,
): { firings: TriggerFiring[]; states: RuleState[] } {
  const current = new Map(states);
  const touched = new Set<string>();
  const firings: TriggerFiring[] = [];
  for (const fact of facts) {
    for (const rule of rules) {
      const alert = describe(rule, fact);
      if (!alert || raised.has(alert.sourceKey)) continue;
      const key = stateKey(rule.id, fact.profileId);
      const before = current.get(key) ?? null;
      if (!meetsConditions(rule.conditions, { clv: null, revenueAtRisk: null, segmentIds: [...fact.segmentIds] }) || withinCooldown(rule, before, fact.at)) continue;
      // the latest fact that fired: an older one firing late must not shorten the cool-down
      const lastFiredAt = before?.lastFiredAt && before.lastFiredAt > fact.at ? before.lastFiredAt : fact.at;
      current.set(key, { ruleId: rule.id, profileId: fact.profileId, active: false, lastTriggerId: alert.triggerId, lastFiredAt });
      touched.add(key);
      firings.push({ ...alert, rule, profileId: fact.profileId, at: fact.at });
    }
  }
  return { firings, states: [...touched].map((key) => current.get(key)!) };
}

/** The source keys the rules could raise for the facts (to read which are stored already). */
export function candidateKeys<F>(rules: readonly AlertRuleSpec[], facts: readonly F[], describe: DescribeFiring<F>): string[] {
  return facts.flatMap((fact) => rules.flatMap((rule) => describe(rule, fact)?.sourceKey ?? []));
}

/** True when `at` lies within the rule's cool-down of its last alert for the profile, before or after it. */
export function withinCooldown(rule: Pick<AlertRuleSpec, 'cooldownSeconds'>, state: Pick<RuleState, 'lastFiredAt'> | null, at: Date): boolean {
  return rule.cooldownSeconds > 0 && state?.lastFiredAt != null && Math.abs(at.getTime() - state.lastFiredAt.getTime()) < rule.cooldownSeconds * 1000;
}
