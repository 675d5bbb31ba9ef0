import { uuidv7 } from 'uuidv7';

import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import { DELIVER_WEBHOOK, type Queues } from '../../common/queues';
import type { Alert } from '../entities/alert.entity';
import type { Channel } from '../entities/channel.entity';
import { ChannelRepository } from '../entities/channel.repository';
import { WebhookDelivery } from '../entities/webhook-delivery.entity';
import { WebhookDeliveryRepository, type DeliveryListFilter } from '../entities/webhook-delivery.repository';
import { alertRaisedEvent } from './alert-event';

/** Most deliveries one page lists. */
export const DELIVERY_PAGE_MAX = 200;

/**
 * The outbox rows of new alerts: one per (alert, subscribed webhook channel), keyed
 * `alert-<alertId>-<channelId>` (the `webhook-id` receivers deduplicate on), due at once.
 * Not persisted: the caller inserts them in the alerts' transaction.
 */
export function alertDeliveries(em: EntityManager, alerts: readonly Alert[], channels: readonly Channel[], now: Date): WebhookDelivery[] {
  return alerts.flatMap((alert) =>
    channels.map((channel) => {
      const { tenantId: _tenant, ...data } = alertRaisedEvent(alert);
      return em.create(
        WebhookDelivery,
        {
          id: uuidv7(),
          tenantId: alert.tenantId,
          channelId: channel.id,
          idempotencyKey: `alert-${alert.id}-${channel.id}`,
          eventType: 'alert.raised',
          sourceId: alert.id,
          profileId: alert.profileId,
          payload: data as unknown as Record<string, unknown>,
          nextAttemptAt: now,
          createdAt: now,
          updatedAt: now,
        },
        { persist: false },
      );
    }),
  );
}

/** The job id of a delivery's try `seq`: deterministic, so queueing a try twice is a no-op. */
export function deliveryJobId(deliveryId: string, seq: number): string {
  return `${deliveryId}-${seq}`;
}

/** Queues the next try of each pending row (one round trip), delayed until it is due. */
export async function queueDeliveryTries(queues: Pick<Queues, 'get'>, rows: readonly WebhookDelivery[], now = new Date()): Promise<void> {
  const pending = rows.filter((r) => r.status === 'pending');
  if (pending.length === 0) return;
  await queues.get(DELIVER_WEBHOOK).addBulk(
    pending.map((r) => ({
      name: DELIVER_WEBHOOK,
      data: { tenantId: r.tenantId, deliveryId: r.id, seq: r.seq },
      opts: { jobId: deliveryJobId(r.id, r.seq), delay: Math.max(0, r.nextAttemptAt.getTime() - now.getTime()) },
    })),
  );
}

/** Webhook deliveries of one tenant: the dead letters and their replay. */
export class WebhookDeliveryService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly queues: Pick<Queues, 'get'>,
  ) {}

  list(filter: DeliveryListFilter, first: number, after: string | null): Promise<WebhookDelivery[]> {
    if (!Number.isInteger(first) || first < 1 || first > DELIVERY_PAGE_MAX) throw new AppError('BAD_USER_INPUT', `first: must be a whole number from 1 to ${DELIVERY_PAGE_MAX}`, { field: 'first' });
    return new WebhookDeliveryRepository(this.em, this.tenantId).page(filter, first, after);
  }

  /**
   * Starts a dead-lettered delivery over: the retry schedule from the beginning, the first try
   * now, the same `webhook-id`. Only a dead delivery of an enabled channel can be replayed.
   */
  async replay(id: string, now = new Date()): Promise<WebhookDelivery> {
    const row = await new WebhookDeliveryRepository(this.em, this.tenantId).byId(id);
    if (!row) throw new AppError('NOT_FOUND', `delivery ${id} not found`, { field: 'id' });
    if (row.status !== 'dead') throw new AppError('CONFLICT', `delivery ${id} is ${row.status}; only a dead delivery can be replayed`, { field: 'id' });
    const channel = await new ChannelRepository(this.em, this.tenantId).byId(row.channelId);
    if (!channel || !channel.enabled) throw new AppError('CONFLICT', `the channel of delivery ${id} is ${channel ? 'disabled' : 'gone'}; enable it first`, { field: 'id' });
    row.status = 'pending';
    row.attempts = 0;
    row.nextAttemptAt = now;
    row.deadAt = null;
    await this.em.flush();
    // committed first: a crash before queueing leaves the row to the sweeper
    await queueDeliveryTries(this.queues, [row], now);
    return row;
  }
}
