import { raw } from '@mikro-orm/core';
import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { DELIVER_WEBHOOK, workerOptions, type DeliverWebhookJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import type { DeliveryResult } from '../domain/channel';
import { nextDeliveryStep } from '../domain/delivery-outcome';
import { Channel } from '../entities/channel.entity';
import { WebhookDelivery } from '../entities/webhook-delivery.entity';
import { ChannelAdapters } from '../services/channels/channel-resolver';
import { queueDeliveryTries } from '../services/webhook-delivery.service';

/** Webhook tries one process makes at once: a try mostly waits on the network. */
export const DELIVER_WEBHOOK_CONCURRENCY = 16;

type Deps = Pick<SubgraphDeps, 'orm' | 'log' | 'queues' | 'config'>;

/**
 * One try of one webhook delivery. The row decides: a job whose `seq` is not the row's (already
 * tried, or replayed meanwhile) or whose row is no longer pending does nothing. After the try, in
 * one transaction: the row moves (delivered, a retry due on the schedule, or dead) and the
 * channel's failure count with it (a 410, or too many failures in a row, disables the channel).
 * Then the retry is queued; a crash before that leaves it to the sweeper. Sends are at least
 * once: every try carries the same `webhook-id`, so receivers drop a repeat.
 */
export async function deliverWebhook(job: Pick<Job<DeliverWebhookJob>, 'data' | 'id'>, deps: Deps, now: () => Date = () => new Date()): Promise<DeliveryResult | null> {
  const { tenantId, deliveryId, seq } = job.data ?? ({} as DeliverWebhookJob);
  if (typeof tenantId !== 'string' || !tenantId || typeof deliveryId !== 'string' || !Number.isInteger(seq)) {
    throw new UnrecoverableError(`deliver-webhook: malformed job ${job.id}: needs tenantId, deliveryId and an integer seq`);
  }
  const em = forkForTenant(deps.orm, tenantId);
  const row = await em.findOne(WebhookDelivery, { tenantId, id: deliveryId });
  if (!row || row.status !== 'pending' || row.seq !== seq) return null;
  const channel = await em.findOne(Channel, { tenantId, id: row.channelId });
  let result: DeliveryResult;
  if (!channel || !channel.enabled) {
    result = { ok: false, retryable: false, error: channel ? `channel disabled: ${channel.disabledReason ?? ''}` : 'channel deleted' };
  } else {
    try {
      const adapter = new ChannelAdapters(deps.config, now).adapterOf(channel);
      result = await adapter.send({ idempotencyKey: row.idempotencyKey, tenantId, profileId: row.profileId ?? '', to: null, type: row.eventType, payload: row.payload });
    } catch (err) {
      // a secret that cannot be opened (an env variable unset) may be fixed by the next try
      result = { ok: false, retryable: true, error: `channel: ${(err as Error).message}` };
    }
  }
  const at = now();
  const step = nextDeliveryStep(result, row.attempts + 1, deps.config.channels.webhookRetryScheduleMs);
  await em.transactional(async (tx) => {
    const claimed = await tx.nativeUpdate(
      WebhookDelivery,
      { tenantId, id: row.id, seq, status: 'pending' },
      {
        attempts: row.attempts + 1,
        seq: seq + 1,
        status: step.status === 'retry' ? 'pending' : step.status,
        nextAttemptAt: step.status === 'retry' ? new Date(at.getTime() + step.delayMs) : row.nextAttemptAt,
        lastStatus: result.status ?? null,
        lastError: result.ok ? null : result.error.slice(0, 2000),
        deliveredAt: result.ok ? at : null,
        deadAt: step.status === 'dead' ? at : null,
        updatedAt: at,
      },
    );
    // another worker moved the row meanwhile (it cannot, by job id; this keeps it so)
    if (claimed === 0 || !channel || !channel.enabled) return;
    const where = { tenantId, id: channel.id };
    if (result.ok) {
      if (channel.consecutiveFailures !== 0) await tx.nativeUpdate(Channel, where, { consecutiveFailures: 0 });
      return;
    }
    // increments and the threshold check in SQL: concurrent tries of one channel all count
    await tx.nativeUpdate(Channel, where, { consecutiveFailures: raw('consecutive_failures + 1') });
    const limit = deps.config.channels.webhookDisableAfterFailures;
    const reason = result.disable ? `the endpoint answered ${result.status ?? 410} Gone` : `${limit} failed tries in a row`;
    const disabled = await tx.nativeUpdate(
      Channel,
      { ...where, enabled: true, ...(result.disable ? {} : { consecutiveFailures: { $gte: limit } }) },
      { enabled: false, disabledReason: reason, disabledAt: at },
    );
    if (disabled > 0) deps.log.warn({ tenantId, channelId: channel.id, reason }, 'webhook channel disabled');
  });
  if (step.status === 'retry') {
    await queueDeliveryTries(deps.queues, [Object.assign(row, { seq: seq + 1, status: 'pending', nextAttemptAt: new Date(at.getTime() + step.delayMs) })], at);
  } else if (step.status === 'dead') {
    deps.log.warn({ tenantId, deliveryId, channelId: row.channelId, error: result.ok ? null : result.error }, 'webhook delivery dead-lettered');
  }
  return result;
}

export function startDeliverWebhookWorker(deps: SubgraphDeps): Worker<DeliverWebhookJob> {
  const worker = new Worker<DeliverWebhookJob>(
    DELIVER_WEBHOOK,
    async (job) => void (await deliverWebhook(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix, DELIVER_WEBHOOK_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'deliver-webhook worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
