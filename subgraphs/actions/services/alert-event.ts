import type { AlertRaisedEvent } from '../../common/pubsub';
import type { Alert } from '../entities/alert.entity';

/** An alert as the world outside the subgraph sees it: the `alertRaised` event and the `alert.raised` webhook's data. */
export function alertRaisedEvent(alert: Alert): AlertRaisedEvent {
  return {
    tenantId: alert.tenantId,
    alertId: alert.id,
    profileId: alert.profileId,
    ruleId: alert.ruleId,
    ruleVersion: alert.ruleVersion,
    type: alert.type,
    severity: alert.severity,
    team: alert.team,
    message: alert.message,
    score: alert.score,
    previousScore: alert.previousScore,
    bucket: alert.bucket,
    previousBucket: alert.previousBucket,
    scoreId: alert.scoreId,
    scoreKind: alert.scoreKind,
    triggerId: alert.triggerId,
    reasons: alert.reasons,
    createdAt: alert.createdAt.toISOString(),
  };
}
