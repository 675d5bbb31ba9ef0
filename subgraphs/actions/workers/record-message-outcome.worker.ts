import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { ProfileEventSender, type SendOutcome } from '../../common/profile-event-sender';
import { RECORD_MESSAGE_OUTCOME, workerOptions, type MessageOutcomeJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { messageOutcomeEvent, messageOutcomeProblems } from '../domain/message-outcome-event';
import { DeliveryReportRepository } from '../entities/delivery-report.repository';
import { StepDeliveryRepository } from '../entities/step-delivery.repository';

/**
 * Sends a send's outcome into the tenant's event stream as `Message Sent` / `Message Failed` (or a
 * provider's report as `Message Delivered` / `Bounced` / `Complained`), then clears the outbox
 * row's `outcomeEventPendingSince` (the report's `pendingSince`) in one UPDATE; until then the run reconciler
 * re-queues the job once the marker is older than `SWEEP_GRACE_MS`. Safe to run twice: the
 * event's messageId names the outbox row and outcome, and signals stores it once. An unreachable
 * signals or profiles service throws and the job retries with backoff.
 */
export async function recordMessageOutcome(job: Pick<Job<MessageOutcomeJob>, 'data' | 'id'>, sender: Pick<ProfileEventSender, 'send'>, deps: Pick<SubgraphDeps, 'log' | 'orm'>): Promise<SendOutcome> {
  const problems = messageOutcomeProblems(job.data);
  if (problems.length) throw new UnrecoverableError(`record-message-outcome: malformed job ${job.id}: ${problems.join('; ')}`);
  const { tenantId, profileId, deliveryId } = job.data;
  const outcome = await sender.send(tenantId, profileId, [messageOutcomeEvent(job.data)]);
  // a profile deleted since the send: nothing to record it on, and a retry would not change that
  if (outcome === 'unknown-profile') deps.log.warn({ tenantId, profileId, deliveryId }, 'message outcome of an unknown profile not recorded');
  // stored (or never storable): the hand-off is done, the send's own outcome on its outbox row,
  // a provider's report on its `delivery_report` row
  const { status } = job.data;
  const em = forkForTenant(deps.orm, tenantId);
  if (status === 'sent' || status === 'failed' || status === 'skipped') await new StepDeliveryRepository(em, tenantId).outcomeEventRecorded(deliveryId, status, job.data.replay ?? 0);
  else await new DeliveryReportRepository(em, tenantId).recorded(deliveryId, status);
  return outcome;
}

/** The sender of this subgraph's events: the profiles and signals services of `config.subgraphUrls`. */
export function actionsEventSender(config: SubgraphDeps['config']): ProfileEventSender {
  return new ProfileEventSender({
    secret: config.secret,
    contextTtlSeconds: config.contextTtlSeconds,
    profilesUrl: config.subgraphUrls.profiles,
    signalsBaseUrl: config.subgraphUrls.signals.replace(/\/graphql$/, ''),
    writer: 'actions',
    timeoutMs: config.channels.timeoutMs,
  });
}

export function startRecordMessageOutcomeWorker(deps: SubgraphDeps, sender: Pick<ProfileEventSender, 'send'> = actionsEventSender(deps.config)): Worker<MessageOutcomeJob> {
  const worker = new Worker<MessageOutcomeJob>(RECORD_MESSAGE_OUTCOME, async (job) => void (await recordMessageOutcome(job, sender, deps)), workerOptions(deps.redis, deps.config.queuePrefix, 4));
  worker.on('error', (err) => deps.log.error({ err }, 'record-message-outcome worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
