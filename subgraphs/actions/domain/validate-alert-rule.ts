import { FIELD_LIMITS } from '../../common/limits';

import {
  ALERT_SEVERITIES,
  RISK_BUCKETS,
  type AlertConditions,
  type AlertSeverityName,
  type AlertTrigger,
  type RiskBucketName,
} from './alert-rule';

/** A rule as an admin sends it (the GraphQL input, flattened: which trigger fields apply depends on `trigger.type`). */
export interface AlertRuleDraft {
  name: string;
  severity: string;
  team: string;
  enabled?: boolean | null;
  cooldownSeconds?: number | null;
  trigger: {
    type: string;
    riskKind?: string | null;
    bucket?: string | null;
    threshold?: number | null;
    direction?: string | null;
    hysteresis?: number | null;
    signalType?: string | null;
    minSeverity?: number | null;
    segmentId?: string | null;
    segmentChange?: string | null;
    journeyId?: string | null;
    journeyState?: string | null;
  };
  conditions?: AlertConditions | null;
  /** A playbook each firing enrols the profile in; null: none. */
  playbookId?: string | null;
}

/** A checked rule, ready to store. */
export interface ValidAlertRule {
  name: string;
  severity: AlertSeverityName;
  team: string;
  enabled: boolean;
  cooldownSeconds: number;
  trigger: AlertTrigger;
  conditions: AlertConditions;
  playbookId: string | null;
}

/** One thing wrong with a draft; `field` is its path in the input, e.g. `trigger.threshold`. */
export interface RuleProblem {
  field: string;
  message: string;
}

/** A cool-down longer than this (30 days, in seconds) is almost surely a unit mistake. */
export const MAX_COOLDOWN_SECONDS = 30 * 24 * 3600;
const KIND = new RegExp(`^[a-z][a-z0-9_]{0,${FIELD_LIMITS.kindLength - 1}}$`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JOURNEY_STATES = ['active', 'stalled', 'completed', 'abandoned'] as const;

/**
 * Checks a draft rule and normalises it (trimmed text, lower-case enums, defaults filled in).
 * Returns every problem at once, each naming its field, so an admin fixes them in one round.
 */
export function validateAlertRule(draft: AlertRuleDraft): { rule: ValidAlertRule; problems: [] } | { rule: null; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  const name = (draft.name ?? '').trim();
  if (name.length < 1 || name.length > FIELD_LIMITS.nameLength) problem('name', `must be 1–${FIELD_LIMITS.nameLength} characters`);
  const team = (draft.team ?? '').trim();
  if (team.length < 1 || team.length > FIELD_LIMITS.teamLength) problem('team', `must be 1–${FIELD_LIMITS.teamLength} characters`);
  const severity = String(draft.severity ?? '').toLowerCase() as AlertSeverityName;
  if (!ALERT_SEVERITIES.includes(severity)) problem('severity', `must be one of ${ALERT_SEVERITIES.join(', ')}`);
  const cooldownSeconds = draft.cooldownSeconds ?? 0;
  if (!Number.isInteger(cooldownSeconds) || cooldownSeconds < 0 || cooldownSeconds > MAX_COOLDOWN_SECONDS) {
    problem('cooldownSeconds', `must be a whole number of seconds from 0 to ${MAX_COOLDOWN_SECONDS}`);
  }
  const trigger = validateTrigger(draft.trigger, problem);
  const conditions = validateConditions(draft.conditions ?? {}, problem);
  if (trigger) for (const p of conditionsItsTriggerCannotMeet(trigger, conditions)) problem(p.field, p.message);
  const playbookId = draft.playbookId ?? null;
  if (playbookId !== null && !UUID.test(playbookId)) problem('playbookId', 'must be a playbook id');
  if (problems.length || !trigger) return { rule: null, problems };
  return { rule: { name, severity, team, enabled: draft.enabled ?? true, cooldownSeconds, trigger, conditions, playbookId }, problems: [] };
}

function validateTrigger(t: AlertRuleDraft['trigger'] | undefined, problem: (field: string, message: string) => void): AlertTrigger | null {
  if (!t) {
    problem('trigger', 'is required');
    return null;
  }
  const type = String(t.type ?? '').toLowerCase();
  switch (type) {
    case 'risk_crossing': {
      const kind = t.riskKind == null ? null : t.riskKind.trim().toLowerCase();
      if (kind !== null && !KIND.test(kind)) problem('trigger.riskKind', 'must be a score kind such as churn or drop_off');
      const hasBucket = t.bucket != null;
      const hasThreshold = t.threshold != null;
      if (hasBucket === hasThreshold) {
        problem(hasBucket ? 'trigger.threshold' : 'trigger.bucket', 'give either a bucket to enter or a threshold, not both');
        return null;
      }
      if (hasBucket) {
        const bucket = t.bucket!.toLowerCase() as RiskBucketName;
        if (!RISK_BUCKETS.includes(bucket)) problem('trigger.bucket', `must be one of ${RISK_BUCKETS.join(', ')}`);
        return { type: 'risk_crossing', kind, bucket };
      }
      const threshold = t.threshold!;
      if (!(threshold >= 0 && threshold <= 100)) problem('trigger.threshold', 'must be a score from 0 to 100');
      const direction = String(t.direction ?? 'up').toLowerCase();
      if (direction !== 'up' && direction !== 'down') problem('trigger.direction', 'must be up or down');
      const hysteresis = t.hysteresis ?? 0;
      if (!(hysteresis >= 0 && hysteresis <= 50)) problem('trigger.hysteresis', 'must be from 0 to 50 points');
      // a threshold rule keeps state per profile: mixing kinds would mix two scores' histories
      if (kind === null) problem('trigger.riskKind', 'is required with a threshold');
      return { type: 'risk_crossing', kind: kind ?? '', threshold, direction: direction as 'up' | 'down', hysteresis };
    }
    case 'friction_signal': {
      const signalType = (t.signalType ?? '').trim();
      if (!KIND.test(signalType)) problem('trigger.signalType', 'must be a signal type such as retry_loop');
      const minSeverity = t.minSeverity ?? 0;
      if (!(minSeverity >= 0 && minSeverity <= 1)) problem('trigger.minSeverity', 'must be from 0 to 1');
      return { type: 'friction_signal', signalType, minSeverity };
    }
    case 'segment': {
      const segmentId = t.segmentId ?? '';
      if (!UUID.test(segmentId)) problem('trigger.segmentId', 'must be a segment id');
      const change = String(t.segmentChange ?? 'entered').toLowerCase();
      if (change !== 'entered' && change !== 'exited') problem('trigger.segmentChange', 'must be entered or exited');
      return { type: 'segment', segmentId, change: change as 'entered' | 'exited' };
    }
    case 'journey': {
      const journeyId = t.journeyId ?? null;
      if (journeyId !== null && !UUID.test(journeyId)) problem('trigger.journeyId', 'must be a journey id');
      const state = String(t.journeyState ?? '').toLowerCase() as (typeof JOURNEY_STATES)[number];
      if (!JOURNEY_STATES.includes(state)) problem('trigger.journeyState', `must be one of ${JOURNEY_STATES.join(', ')}`);
      return { type: 'journey', journeyId, state };
    }
    default:
      problem('trigger.type', 'must be one of risk_crossing, friction_signal, segment, journey');
      return null;
  }
}

function validateConditions(c: AlertConditions, problem: (field: string, message: string) => void): AlertConditions {
  const out: AlertConditions = {};
  if (c.revenueAtRiskAbove != null) {
    if (!Number.isFinite(c.revenueAtRiskAbove) || c.revenueAtRiskAbove < 0) problem('conditions.revenueAtRiskAbove', 'must be a non-negative amount');
    out.revenueAtRiskAbove = c.revenueAtRiskAbove;
  }
  if (c.clvAbove != null) {
    if (!Number.isFinite(c.clvAbove) || c.clvAbove < 0) problem('conditions.clvAbove', 'must be a non-negative amount');
    out.clvAbove = c.clvAbove;
  }
  if (c.segmentIds != null && c.segmentIds.length > 0) {
    if (c.segmentIds.length > FIELD_LIMITS.alertRuleSegments) problem('conditions.segmentIds', `at most ${FIELD_LIMITS.alertRuleSegments} segments`);
    c.segmentIds.forEach((id, i) => {
      if (!UUID.test(id)) problem(`conditions.segmentIds[${i}]`, 'must be a segment id');
    });
    out.segmentIds = [...new Set(c.segmentIds)];
  }
  return out;
}

/**
 * Conditions a rule with this trigger can never meet: only a risk change carries the profile's CLV
 * and revenue at risk (risk hands them over with the score); a signal, segment change or journey
 * state carries neither, so such a condition never holds. A new rule with one is refused rather
 * than stored as a rule that silently never fires; a rule stored before that refusal shows them as
 * its `problems`.
 */
export function conditionsItsTriggerCannotMeet(trigger: Pick<AlertTrigger, 'type'>, conditions: AlertConditions | null | undefined): { field: string; message: string }[] {
  if (trigger.type === 'risk_crossing' || !conditions) return [];
  return (['clvAbove', 'revenueAtRiskAbove'] as const)
    .filter((field) => conditions[field] != null)
    .map((field) => ({ field: `conditions.${field}`, message: `applies only to a RISK_CROSSING trigger: a ${trigger.type.toUpperCase()} trigger carries no CLV or revenue at risk` }));
}
