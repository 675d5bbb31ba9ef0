import type { AlertRuleSpec } from './alert-rule';
import type { TriggerAlert, TriggerFacts } from './evaluate-trigger-rules';

/** A profile entering or leaving a segment, as SEGMENT alert rules evaluate it. */
export interface SegmentChangeFacts extends TriggerFacts {
  segmentId: string;
  segmentName: string;
  /** The membership row (one stay in the segment): with `change`, the alert's trigger. */
  membershipId: string;
  change: 'entered' | 'exited';
  /** When the profile entered or left. */
  at: Date;
}

/** Idempotency key of the alert a rule raises for an entry or exit. */
export function segmentSourceKey(ruleId: string, membershipId: string, change: 'entered' | 'exited'): string {
  return `${ruleId}-segment-${membershipId}-${change}`;
}

/**
 * The alert a SEGMENT rule raises when a profile enters (or leaves) its segment, null for any other
 * rule or change: `segment_entered` / `segment_exited`, score 0 (no score is involved), the
 * membership as its trigger and the segment and membership as evidence. For `evaluateTriggers`.
 */
export function describeSegmentFiring(rule: AlertRuleSpec, fact: SegmentChangeFacts): TriggerAlert | null {
  const trigger = rule.trigger;
  if (trigger.type !== 'segment' || trigger.segmentId !== fact.segmentId || trigger.change !== fact.change) return null;
  const verb = fact.change === 'entered' ? 'Entered' : 'Left';
  const description = `${verb} segment "${fact.segmentName}"`;
  return {
    sourceKey: segmentSourceKey(rule.id, fact.membershipId, fact.change),
    triggerId: fact.membershipId,
    type: `segment_${fact.change}`,
    message: `${rule.name}: ${fact.change === 'entered' ? 'entered' : 'left'} segment "${fact.segmentName}" at ${fact.at.toISOString()}.`,
    score: 0,
    reasons: [{ factor: `segment:${fact.change}`, contribution: 1, description, evidence: [fact.segmentId, fact.membershipId] }],
  };
}

/** The segments a change shows the profile in (for the rules' segment conditions): the one it entered. */
export function segmentsShownBy(change: Pick<SegmentChangeFacts, 'segmentId' | 'change'>): string[] {
  return change.change === 'entered' ? [change.segmentId] : [];
}
