import { raw } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import type { StoredHandOff } from '../domain/pipeline/pipeline-lag';
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
   * Unprocessed events per tenant, in one grouped query over the partial index of unprocessed
   * events (`event_unprocessed_index`): every tenant with a backlog (`tenantId` null, for operators and `npm start`), or only
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
   * Every tenant's events handed on and not yet acknowledged, per stage (`StoredHandOff`): to risk
   * (`handOffPendingSince` set) and to actions' playbook runs (`playbookEventsPendingSince` set).
   * Two grouped queries, each over its partial index of the rows in flight.
   */
  async handOffsByTenant(): Promise<StoredHandOff[]> {
    const handOffs: StoredHandOff[] = [];
    const markers = [
      { stage: 'risk', column: 'hand_off_pending_since', where: { handOffPendingSince: { $ne: null } } },
      { stage: 'alerts', column: 'playbook_events_pending_since', where: { playbookEventsPendingSince: { $ne: null } } },
    ] as const;
    for (const { stage, column, where } of markers) {
      const rows = (await this.em
        .createQueryBuilder(Event, 'e')
        .select(['e.tenantId', raw('count(*) as ??', ['pending']), raw('min(??) as ??', [`e.${column}`, 'oldest'])])
        .where(where)
        .groupBy('e.tenantId')
        .execute('all', false)) as Record<string, unknown>[];
      // PostgreSQL returns count(*) as a string; SQLite stores dates as epoch ms
      for (const row of rows) handOffs.push({ stage, tenantId: String(row.tenant_id), pending: Number(row.pending), oldestPendingSince: toDate(row.oldest).getTime() });
    }
    return handOffs;
  }

  /**
   * Per tenant, the oldest receivedAt of its events not yet handed on to risk: unprocessed
   * (`processedAt` null) or processed with the hand-off pending (`handOffPendingSince` set). Two
   * grouped queries; every tenant (`tenantId` null, the sweeper) or only the one named (absent from
   * the result when it has none). Feeds the handed-on watermark training waits for.
   */
  async notHandedOnSince(tenantId: string | null): Promise<Map<string, Date>> {
    return new Map([...(await this.notHandedOn(tenantId))].map(([tenant, { oldest }]) => [tenant, oldest]));
  }

  /**
   * `notHandedOnSince` with each tenant's count of such events (the two sets are disjoint: the
   * detect stage sets `processedAt` and the marker in one UPDATE), in the same two queries.
   */
  async notHandedOn(tenantId: string | null): Promise<Map<string, { oldest: Date; count: number }>> {
    // two reads, each down its own index: as one `processed_at is null or hand_off_pending_since
    // is not null`, SQLite walks every event of the tenant, after every batch
    const pending = new Map<string, { oldest: Date; count: number }>();
    for (const where of [{ processedAt: null }, { handOffPendingSince: { $ne: null } }]) {
      const rows = (await this.em
        .createQueryBuilder(Event, 'e')
        .select(['e.tenantId', raw('min(??) as ??', ['e.received_at', 'oldest']), raw('count(*) as ??', ['pending'])])
        .where(tenantId === null ? where : { tenantId, ...where })
        .groupBy('e.tenantId')
        .execute('all', false)) as Record<string, unknown>[];
      for (const row of rows) {
        const tenant = String(row.tenant_id);
        const at = toDate(row.oldest);
        // PostgreSQL returns count(*) as a string
        const count = Number(row.pending);
        const known = pending.get(tenant);
        if (!known) pending.set(tenant, { oldest: at, count });
        else pending.set(tenant, { oldest: at < known.oldest ? at : known.oldest, count: known.count + count });
      }
    }
    return pending;
  }
}

/**
 * The oldest receipt among one tenant's events not yet handed on to risk (unprocessed, or
 * processed with the hand-off pending), or null when it has none: the per-tenant watermark
 * refresh, after every batch. Two `order by received_at limit 1` reads down the partial indexes
 * of the events in flight (`event_unprocessed_index`, `event_hand_off_pending_index`): whatever
 * the planner's statistics say about the markers, the first entry of an index that holds the
 * order is the cheapest plan, so the read never walks the tenant's history.
 */
export async function oldestNotHandedOn(em: EntityManager, tenantId: string): Promise<Date | null> {
  let oldest: Date | null = null;
  for (const where of [{ processedAt: null }, { handOffPendingSince: { $ne: null } }]) {
    const [row] = (await em
      .createQueryBuilder(Event, 'e')
      .select(['e.receivedAt'])
      .where({ tenantId, ...where })
      .orderBy({ receivedAt: 'asc' })
      .limit(1)
      .execute('all', false)) as Record<string, unknown>[];
    if (!row) continue;
    const at = toDate(row.received_at);
    if (!oldest || at < oldest) oldest = at;
  }
  return oldest;
}

function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  return new Date(typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : (value as string | number));
}
