import type { AlertRuleSpec, FrictionSignalTrigger } from './alert-rule';
import { coolingDown, meetsConditions, stateKey, type RuleState, type ScoreReason } from './evaluate-alert-rules';

/** A friction signal the actions stage evaluates FRICTION_SIGNAL rules against (one item of a `signal-alerts` batch). */
export interface SignalFacts {
  /** The signal row's id (uuidv7): the alert's trigger id. */
  signalId: string;
  profileId: string;
  type: string;
  /** 0 (mild) to 1 (severe). */
  severity: number;
  detectedAt: Date;
  journeyInstanceId: string | null;
  summary: string;
  /** The events behind the signal. */
  eventIds: string[];
  /** Segments the profile is in, as far as the actions stage knows; empty when it knows none. */
  segmentIds: string[];
}

/** A FRICTION_SIGNAL rule that fired for a signal: the alert to create. */
export interface SignalFiring {
  rule: AlertRuleSpec;
  signal: SignalFacts;
  /** Idempotency key of the alert (see `signalSourceKey`). */
  sourceKey: string;
  type: string;
  message: string;
  reasons: ScoreReason[];
}

/** Idempotency key of the alert a rule raises for a signal: a signal id names its profile. */
export function signalSourceKey(ruleId: string, signalId: string): string {
  return `${ruleId}-signal-${signalId}`;
}

/** True when the signal is of the trigger's type and at least its least severity. */
export function matchesSignal(trigger: FrictionSignalTrigger, signal: Pick<SignalFacts, 'type' | 'severity'>): boolean {
  return signal.type === trigger.signalType && signal.severity >= trigger.minSeverity;
}

/**
 * Evaluates every FRICTION_SIGNAL rule against every signal, set-based and in memory, in the
 * order given (signal id order is detection order). A rule fires for a signal of its type with at
 * least its least severity when its conditions hold and its cool-down for the profile has run out;
 * a signal carries no CLV or revenue at risk, so a condition on either never holds. Pure: reads
 * `states` (keyed by `stateKey`, not modified) and `raised` (source keys whose alert is already
 * stored: a replayed signal changes nothing, not even the cool-down), and returns the alerts to
 * raise and every state it moved. A matching signal inside the cool-down raises nothing and moves
 * nothing, so the cool-down counts from the last alert.
 */
export function evaluateSignals(
  rules: readonly AlertRuleSpec[],
  signals: readonly SignalFacts[],
  states: ReadonlyMap<string, RuleState>,
  raised: ReadonlySet<string>,
  now: Date,
): { firings: SignalFiring[]; states: RuleState[] } {
  const current = new Map(states);
  const touched = new Set<string>();
  const firings: SignalFiring[] = [];
  for (const signal of signals) {
    for (const rule of rules) {
      const trigger = rule.trigger;
      if (trigger.type !== 'friction_signal' || !matchesSignal(trigger, signal)) continue;
      const sourceKey = signalSourceKey(rule.id, signal.signalId);
      if (raised.has(sourceKey)) continue;
      const key = stateKey(rule.id, signal.profileId);
      const before = current.get(key) ?? null;
      if (!meetsConditions(rule.conditions, { clv: null, revenueAtRisk: null, segmentIds: signal.segmentIds }) || coolingDown(rule, before, now)) continue;
      current.set(key, { ruleId: rule.id, profileId: signal.profileId, active: false, lastTriggerId: signal.signalId, lastFiredAt: now });
      touched.add(key);
      firings.push(firingOf(rule, signal, sourceKey));
    }
  }
  return { firings, states: [...touched].map((key) => current.get(key)!) };
}

function firingOf(rule: AlertRuleSpec, signal: SignalFacts, sourceKey: string): SignalFiring {
  const severity = signal.severity.toFixed(2);
  return {
    rule,
    signal,
    sourceKey,
    type: `signal_${signal.type}`,
    message: `${rule.name}: ${signal.type} friction (severity ${severity}): ${signal.summary}`,
    // the signal is the reason; its evidence is the signal and the events behind it
    reasons: [{ factor: `signal:${signal.type}`, contribution: signal.severity, description: signal.summary, evidence: [signal.signalId, ...signal.eventIds] }],
  };
}
