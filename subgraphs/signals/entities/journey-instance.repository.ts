import { LockMode, raw, type FilterQuery } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/knex';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';

import type { JourneyInstance } from './journey-instance.entity';

/** The instances of one journey definition and one profile: what a replay reads and locks. */
export interface JourneyScope {
  tenantId: string;
  definitionId: string;
  profileId: string;
}

/** Reads of journey instances: the replay's window, the sweep's due page, and the funnel's counts. */
export class JourneyInstanceRepository extends EntityRepository<JourneyInstance> {
  /** Instances per state in a cohort: one grouped query. */
  async countsByState(cohort: FilterQuery<JourneyInstance>): Promise<Map<string, number>> {
    const rows = (await this.createQueryBuilder('i')
      .select(['i.state', raw('count(*) as ??', ['cnt'])])
      .where(cohort)
      .groupBy('i.state')
      .execute('all', false)) as { state: string; cnt: number | string }[];
    return new Map(rows.map((r) => [r.state, Number(r.cnt)]));
  }

  /** Instances per current (furthest) step index in a cohort: one grouped query. */
  async countsByStepIndex(cohort: FilterQuery<JourneyInstance>): Promise<Map<number, number>> {
    const rows = (await this.createQueryBuilder('i')
      .select(['i.current_step_index', raw('count(*) as ??', ['cnt'])])
      .where(cohort)
      .groupBy('i.current_step_index')
      .execute('all', false)) as { current_step_index: number | string; cnt: number | string }[];
    return new Map(rows.map((r) => [Number(r.current_step_index), Number(r.cnt)]));
  }

  /** The latest instance of the scope that started at or before `at`, or null. */
  latestStartedBy(scope: JourneyScope, at: Date): Promise<JourneyInstance | null> {
    return this.findOne({ ...scope, startedAt: { $lte: at } }, { orderBy: { startedAt: 'desc', id: 'desc' } });
  }

  /** Instances of the scope started at or after `from`, oldest first, re-read and (on PostgreSQL) row-locked. */
  startedFrom(scope: JourneyScope, from: Date): Promise<JourneyInstance[]> {
    return this.find(
      { ...scope, startedAt: { $gte: from } },
      { orderBy: { startedAt: 'asc', id: 'asc' }, refresh: true, ...(this.onPostgres() ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {}) },
    );
  }

  /** Active and stalled instances of these profiles, re-read. */
  openOf(tenantId: string, profileIds: readonly string[]): Promise<JourneyInstance[]> {
    return this.find({ tenantId, profileId: { $in: [...new Set(profileIds)] }, state: { $in: ['active', 'stalled'] } }, { refresh: true });
  }

  /**
   * Up to `limit` instances whose next deadline has come by `now`, earliest first, re-read. On
   * PostgreSQL rows a concurrent sweep or replay holds are skipped: they are left to it.
   */
  due(tenantId: string, now: Date, limit: number): Promise<JourneyInstance[]> {
    return this.find(
      { tenantId, nextCheckAt: { $lte: now } },
      {
        orderBy: { nextCheckAt: 'asc', id: 'asc' },
        limit,
        refresh: true,
        ...(this.onPostgres() ? { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE } : {}),
      },
    );
  }

  /** Tenants with at least one open journey instance (one with a pending deadline): whom the sweep is for. */
  async tenantsWithDeadlines(): Promise<string[]> {
    const rows = (await this.createQueryBuilder('i')
      .select('i.tenant_id', true)
      .where({ nextCheckAt: { $ne: null } })
      .execute('all', false)) as { tenant_id: string }[];
    return rows.map((r) => r.tenant_id).sort();
  }

  /** Actions evaluated these instances as of these markers: clears each marker still equal to the one acknowledged. */
  async alertsDone(tenantId: string, pending: readonly { instanceId: string; since: Date }[]): Promise<void> {
    for (const p of pending) await this.nativeUpdate({ tenantId, id: p.instanceId, alertsPendingSince: p.since }, { alertsPendingSince: null });
  }

  /** The tenants with instances whose alerts hand-off has been pending since before `cutoff`. One query. */
  async tenantsWithAlertsPending(cutoff: Date): Promise<string[]> {
    const rows = (await this.createQueryBuilder('i').select('i.tenant_id').distinct().where({ alertsPendingSince: { $lt: cutoff } }).execute('all', false)) as { tenant_id: string }[];
    return rows.map((r) => String(r.tenant_id)).sort();
  }

  /** One tenant's instances whose alerts hand-off has been pending since before `cutoff`, in id order after `after`. */
  alertsPendingOf(tenantId: string, cutoff: Date, after: string | null, limit: number): Promise<JourneyInstance[]> {
    return this.find({ tenantId, alertsPendingSince: { $lt: cutoff }, ...(after ? { id: { $gt: after } } : {}) }, { orderBy: { id: 'asc' }, limit, refresh: true });
  }

  private onPostgres(): boolean {
    return this.getEntityManager().getPlatform() instanceof PostgreSqlPlatform;
  }
}
