import type { AlertRuleSpec, FrictionSignalTrigger } from './alert-rule';
import type { TriggerAlert, TriggerFacts } from './evaluate-trigger-rules';

/** A friction signal the actions stage evaluates FRICTION_SIGNAL rules against (one item of a `signal-alerts` batch). */
export interface SignalFacts extends TriggerFacts {
  /** The signal row's id (uuidv7): the alert's trigger id. */
  signalId: string;
  type: string;
  /** 0 (mild) to 1 (severe). */
  severity: number;
  journeyInstanceId: string | null;
  summary: string;
  /** The events behind the signal. */
  eventIds: string[];
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
 * The alert a FRICTION_SIGNAL rule raises for a signal of its type with at least its least
 * severity (null for any other rule or signal): `signal_<type>`, scored severity × 100, with the
 * signal as its reason and the signal and its events as evidence. For `evaluateTriggers`.
 */
export function describeSignalFiring(rule: AlertRuleSpec, signal: SignalFacts): TriggerAlert | null {
  if (rule.trigger.type !== 'friction_signal' || !matchesSignal(rule.trigger, signal)) return null;
  return {
    sourceKey: signalSourceKey(rule.id, signal.signalId),
    triggerId: signal.signalId,
    type: `signal_${signal.type}`,
    message: `${rule.name}: ${signal.type} friction (severity ${signal.severity.toFixed(2)}): ${signal.summary}`,
    // the Alert contract has a 0–100 score: a signal's is its severity on that scale
    score: Math.round(signal.severity * 1000) / 10,
    reasons: [{ factor: `signal:${signal.type}`, contribution: signal.severity, description: signal.summary, evidence: [signal.signalId, ...signal.eventIds] }],
  };
}
