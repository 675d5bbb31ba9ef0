import type { MessageOutcomeJob } from '../../common/queues';
import { DELIVERY_REPORTS, type DeliveryReport } from './delivery-callback';

/** A `track` event of the platform's own about a profile (see `ProfileTrackEvent`). */
export interface MessageOutcomeEvent {
  event: 'Message Sent' | 'Message Failed' | 'Message Delivered' | 'Message Bounced' | 'Message Complained';
  messageId: string;
  properties: Record<string, unknown>;
  timestamp: Date;
}

/** The event name of each provider report. */
const REPORT_EVENTS: Record<DeliveryReport, MessageOutcomeEvent['event']> = {
  delivered: 'Message Delivered',
  bounced: 'Message Bounced',
  complained: 'Message Complained',
};

/**
 * The event a send's outcome becomes in the tenant's stream: `Message Sent`, or `Message Failed`
 * for a failed send and for one a guardrail skipped (`status: "skipped"`, the guardrail in
 * `reason`); a provider's later report is `Message Delivered`, `Message Bounced` or `Message
 * Complained`. The messageId names the outbox row, its replay and its outcome: one event per send
 * and status (an outcome is final, a provider re-sending a report is a duplicate); a row sent again
 * after it was dead-lettered (`replaySend`) records each replay's outcome under `-replay<n>`, so a
 * second replay's failure is not a duplicate of the first's. The first send's ids are unchanged.
 */
export function messageOutcomeEvent(outcome: MessageOutcomeJob): MessageOutcomeEvent {
  const report = (DELIVERY_REPORTS as readonly string[]).includes(outcome.status) ? REPORT_EVENTS[outcome.status as DeliveryReport] : null;
  return {
    event: report ?? (outcome.status === 'sent' ? 'Message Sent' : 'Message Failed'),
    messageId: `message-${outcome.status}-${outcome.deliveryId}${outcome.replay ? `-replay${outcome.replay}` : ''}`,
    properties: {
      channel: outcome.channel,
      playbookId: outcome.playbookId,
      playbook: outcome.playbook,
      runId: outcome.runId,
      stepId: outcome.stepId,
      deliveryId: outcome.deliveryId,
      status: outcome.status,
      providerId: outcome.providerId,
      reason: outcome.reason,
      ...(outcome.replay ? { replay: outcome.replay } : {}),
    },
    timestamp: new Date(outcome.at),
  };
}

/** What is wrong with a job's payload (a list of problems), or an empty list. */
export function messageOutcomeProblems(data: unknown): string[] {
  if (!data || typeof data !== 'object') return ['the payload must be an object'];
  const d = data as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ['tenantId', 'profileId', 'deliveryId', 'runId', 'stepId', 'channel', 'at'] as const) {
    if (typeof d[key] !== 'string' || d[key] === '') problems.push(`${key} must be a non-empty string`);
  }
  if (d.status !== 'sent' && d.status !== 'failed' && d.status !== 'skipped' && !(DELIVERY_REPORTS as readonly unknown[]).includes(d.status)) {
    problems.push('status must be sent, failed, skipped, delivered, bounced or complained');
  }
  if (typeof d.at === 'string' && !Number.isFinite(Date.parse(d.at))) problems.push('at must be an ISO date-time');
  if (d.replay !== undefined && !(Number.isInteger(d.replay) && (d.replay as number) >= 0)) problems.push('replay must be a whole number, 0 or more');
  return problems;
}
