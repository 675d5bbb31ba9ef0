import { raw } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import { Event } from './event.entity';

/** One tenant's stored events not yet processed by the pipeline's first stage. */
export interface TenantEventBacklog {
  tenantId: string;
  /** Events with `processedAt` null. */
  unprocessed: number;
  /** When the oldest of them was received. */
  oldestReceivedAt: Date;
}

/**
 * The events table read as the pipeline's durable backlog: what was acknowledged (stored) but not
 * yet processed. It survives a Redis flush, unlike the queues. Separate from the events'
 * read/write repository because only `pipelineStatus` reads it.
 */
export class EventBacklogRepository {
  constructor(private readonly em: EntityManager) {}

  /**
   * Unprocessed events per tenant, in one grouped query over the `(processedAt, enqueuedAt)`
   * index: every tenant with a backlog (`tenantId` null, for operators and `npm start`), or only
   * the one named (absent from the result when it has none).
   */
  async unprocessedByTenant(tenantId: string | null): Promise<TenantEventBacklog[]> {
    const qb = this.em
      .createQueryBuilder(Event, 'e')
      .select(['e.tenantId', raw('count(*) as ??', ['unprocessed']), raw('min(??) as ??', ['e.received_at', 'oldest'])])
      .where(tenantId === null ? { processedAt: null } : { tenantId, processedAt: null })
      .groupBy('e.tenantId');
    const rows = (await qb.execute('all', false)) as Record<string, unknown>[];
    // PostgreSQL returns count(*) as a string; SQLite stores dates as epoch ms
    return rows.map((row) => ({ tenantId: String(row.tenant_id), unprocessed: Number(row.unprocessed), oldestReceivedAt: toDate(row.oldest) }));
  }

  /**
   * Per tenant, the oldest receivedAt of its events not yet handed on to risk: unprocessed
   * (`processedAt` null) or processed with the hand-off pending (`handOffPendingSince` set). Two
   * grouped queries; every tenant (`tenantId` null, the sweeper) or only the one named (absent from
   * the result when it has none). Feeds the handed-on watermark training waits for.
   */
  async notHandedOnSince(tenantId: string | null): Promise<Map<string, Date>> {
    // two reads, each down its own index: as one `processed_at is null or hand_off_pending_since
    // is not null`, SQLite walks every event of the tenant, after every batch
    const oldest = new Map<string, Date>();
    for (const pending of [{ processedAt: null }, { handOffPendingSince: { $ne: null } }]) {
      const rows = (await this.em
        .createQueryBuilder(Event, 'e')
        .select(['e.tenantId', raw('min(??) as ??', ['e.received_at', 'oldest'])])
        .where(tenantId === null ? pending : { tenantId, ...pending })
        .groupBy('e.tenantId')
        .execute('all', false)) as Record<string, unknown>[];
      for (const row of rows) {
        const tenant = String(row.tenant_id);
        const at = toDate(row.oldest);
        const known = oldest.get(tenant);
        if (!known || at < known) oldest.set(tenant, at);
      }
    }
    return oldest;
  }
}

function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  return new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : (value as string | number));
}
