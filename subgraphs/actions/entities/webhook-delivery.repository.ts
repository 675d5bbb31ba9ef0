import type { EntityManager } from '../../common/orm';
import { WebhookDelivery, type WebhookDeliveryStatus } from './webhook-delivery.entity';

/** Which deliveries to list; every field given must hold. */
export interface DeliveryListFilter {
  status?: WebhookDeliveryStatus | null;
  channelId?: string | null;
}

/** Webhook outbox rows of one tenant. */
export class WebhookDeliveryRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * One multi-row INSERT that skips rows whose (tenant, idempotency key) is stored already, then
   * one read of the rows this call inserted: a replayed batch inserts (and queues) nothing.
   */
  async insertIgnoring(rows: readonly WebhookDelivery[]): Promise<WebhookDelivery[]> {
    if (rows.length === 0) return [];
    // read before the upsert: MikroORM loads a conflicting row into its entity, id included
    const ids = rows.map((r) => r.id);
    await this.em.upsertMany(WebhookDelivery, rows as WebhookDelivery[], { onConflictFields: ['tenantId', 'idempotencyKey'], onConflictAction: 'ignore' });
    return this.em.find(WebhookDelivery, { tenantId: this.tenantId, id: { $in: ids } }, { orderBy: { id: 'asc' }, disableIdentityMap: true });
  }

  byId(id: string): Promise<WebhookDelivery | null> {
    return this.em.findOne(WebhookDelivery, { tenantId: this.tenantId, id });
  }

  /** A page of deliveries, newest first (uuidv7 ids), after the delivery `afterId`. */
  page(filter: DeliveryListFilter, first: number, afterId: string | null): Promise<WebhookDelivery[]> {
    return this.em.find(
      WebhookDelivery,
      {
        tenantId: this.tenantId,
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.channelId ? { channelId: filter.channelId } : {}),
        ...(afterId ? { id: { $lt: afterId } } : {}),
      },
      { orderBy: { id: 'desc' }, limit: first },
    );
  }
}

/**
 * Pending deliveries of every tenant whose try was due before `cutoff` (the ones whose job may
 * have been lost), in due order, after the keyset `after`. The caller's entity manager must read
 * across tenants (`forkAcrossTenants`).
 */
export function overdueDeliveries(em: EntityManager, cutoff: Date, limit: number, after: { at: Date; id: string } | null = null): Promise<WebhookDelivery[]> {
  return em.find(
    WebhookDelivery,
    {
      status: 'pending',
      nextAttemptAt: { $lte: cutoff },
      ...(after ? { $or: [{ nextAttemptAt: { $gt: after.at } }, { nextAttemptAt: after.at, id: { $gt: after.id } }] } : {}),
    },
    { orderBy: { nextAttemptAt: 'asc', id: 'asc' }, limit, disableIdentityMap: true },
  );
}
