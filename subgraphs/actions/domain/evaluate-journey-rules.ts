import type { AlertRuleSpec, JourneyTrigger } from './alert-rule';
import type { TriggerAlert, TriggerFacts } from './evaluate-trigger-rules';

/** A state a journey instance reached, as JOURNEY alert rules evaluate it (`at`: when the state began). */
export interface JourneyStateFacts extends TriggerFacts {
  instanceId: string;
  journeyId: string;
  journeyName: string;
  state: JourneyTrigger['state'];
  stepIndex: number;
  step: string;
  /** The `active` state at the step the instance started at. */
  started: boolean;
}

/**
 * Idempotency key of the alert a rule raises for an instance's state: `active` once per instance
 * (its start), the others once per step (an instance may stall at several steps).
 */
export function journeySourceKey(ruleId: string, fact: Pick<JourneyStateFacts, 'instanceId' | 'state' | 'stepIndex'>): string {
  return fact.state === 'active' ? `${ruleId}-journey-${fact.instanceId}-active` : `${ruleId}-journey-${fact.instanceId}-${fact.state}-${fact.stepIndex}`;
}

const VERB: Record<JourneyStateFacts['state'], string> = { active: 'started', stalled: 'stalled', completed: 'completed', abandoned: 'abandoned' };

/**
 * The alert a JOURNEY rule raises when an instance of its journey (any journey when `journeyId` is
 * null) reaches its state; `active` means the journey started (reaching a later step raises
 * nothing). Null for any other rule or state. `journey_<state>`, score 0, the instance as its
 * trigger. For `evaluateTriggers`.
 */
export function describeJourneyFiring(rule: AlertRuleSpec, fact: JourneyStateFacts): TriggerAlert | null {
  const trigger = rule.trigger;
  if (trigger.type !== 'journey' || trigger.state !== fact.state) return null;
  if (trigger.journeyId !== null && trigger.journeyId !== fact.journeyId) return null;
  if (fact.state === 'active' && !fact.started) return null;
  const description = `${fact.journeyName} ${VERB[fact.state]} at step "${fact.step}"`;
  return {
    sourceKey: journeySourceKey(rule.id, fact),
    triggerId: fact.instanceId,
    type: `journey_${fact.state}`,
    message: `${rule.name}: ${description} (${fact.at.toISOString()}).`,
    score: 0,
    reasons: [{ factor: `journey:${fact.state}`, contribution: 1, description, evidence: [fact.journeyId, fact.instanceId] }],
  };
}
