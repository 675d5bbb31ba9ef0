import { raw } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/knex';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';

import type { ResolvedEventRef } from '../../common/queues';
import type { BatchReads } from '../domain/friction/detect-batch';
import type { FrictionEvent } from '../domain/friction/events';
import type { Event } from './event.entity';
import { chunks } from '../../common/chunks';

/** Ids per statement, well under SQLite's and PostgreSQL's bound-parameter limits. */
const IDS_PER_STATEMENT = 400;

/** Set-based reads and writes of stored events for the signals stage (one statement per batch each). */
export class EventRepository extends EntityRepository<Event> {
  /**
   * Takes a batch of resolved events over: `processedAt` keeps the first resolution time, the
   * profile id follows the latest (a merge re-points events; null never takes one away), and the
   * hand-off to the risk stage becomes pending from `now`. One UPDATE per chunk of ids: an event
   * is never seen processed without its profile (two statements once let a reader in between find
   * a whole batch processed and unattributed).
   */
  async takeOver(tenantId: string, refs: readonly ResolvedEventRef[], now: Date): Promise<void> {
    const platform = this.em.getPlatform();
    const pg = platform instanceof PostgreSqlPlatform;
    // bound as the driver stores dates: a timestamp on PostgreSQL, epoch ms on SQLite
    const processedAt = raw(`coalesce(processed_at, ${pg ? '?::timestamptz' : '?'})`, [platform.processDateProperty(now)]);
    for (const chunk of chunks(refs, IDS_PER_STATEMENT)) {
      const ids = chunk.map((r) => r.eventId);
      const attributed = chunk.filter((r): r is ResolvedEventRef & { profileId: string } => r.profileId !== null);
      const profileId = attributed.length
        ? raw(`case id ${attributed.map(() => (pg ? 'when ?::uuid then ?::uuid' : 'when ? then ?')).join(' ')} else profile_id end`, attributed.flatMap((r) => [r.eventId, r.profileId]))
        : undefined;
      await this.createQueryBuilder()
        .update({ processedAt, handOffPendingSince: now, ...(profileId ? { profileId } : {}) } as Partial<Event>)
        .where({ tenantId, id: { $in: ids } })
        .execute();
    }
  }

  /** The tenant's events with these ids (any order; unknown ids are left out). */
  byIds(tenantId: string, ids: readonly string[]): Promise<Event[]> {
    return this.find({ tenantId, id: { $in: [...ids] } }, { disableIdentityMap: true });
  }

  /**
   * The profiles' events in the batch's detector windows (`batchReads`): one query, an `$or` of
   * one time range (and names) per detector, per profile in time order (ties by id).
   */
  async inWindows(tenantId: string, reads: BatchReads): Promise<Map<string, FrictionEvent[]>> {
    const byProfile = new Map<string, FrictionEvent[]>();
    if (!reads.profileIds.length || !reads.events.length) return byProfile;
    const rows = await this.find(
      {
        tenantId,
        profileId: { $in: reads.profileIds },
        $or: reads.events.map((w) => ({ timestamp: { $gte: w.from, $lte: w.to }, ...(w.names ? { name: { $in: w.names } } : {}) })),
      },
      { orderBy: { profileId: 'asc', timestamp: 'asc', id: 'asc' }, fields: ['id', 'name', 'timestamp', 'properties', 'profileId'], disableIdentityMap: true },
    );
    for (const row of rows) {
      const list = byProfile.get(row.profileId!) ?? [];
      list.push({ id: row.id, name: row.name, timestamp: row.timestamp, properties: row.properties ?? {} });
      byProfile.set(row.profileId!, list);
    }
    return byProfile;
  }

  /**
   * The batch reached the risk stage: its events are no longer pending. One UPDATE per chunk.
   * Returns how many were pending until now (a repeated acknowledgement finds none): the events
   * that leave the tenant's in-flight count.
   */
  async handedOn(tenantId: string, ids: readonly string[]): Promise<number> {
    let cleared = 0;
    for (const chunk of chunks(ids, IDS_PER_STATEMENT)) {
      cleared += await this.nativeUpdate({ tenantId, id: { $in: chunk }, handOffPendingSince: { $ne: null } }, { handOffPendingSince: null });
    }
    return cleared;
  }

  /**
   * Every tenant's events whose hand-off has been pending since before `cutoff` (their job died
   * between taking them over and handing them on), by id after `after`, at most `limit`. The
   * sweeper's read: it crosses tenants on purpose.
   */
  pendingHandOff(cutoff: Date, after: string | null, limit: number): Promise<Pick<Event, 'id' | 'tenantId' | 'profileId'>[]> {
    return this.find(
      { handOffPendingSince: { $lt: cutoff }, ...(after ? { id: { $gt: after } } : {}) },
      { orderBy: { id: 'asc' }, limit, fields: ['id', 'tenantId', 'profileId'], disableIdentityMap: true },
    );
  }
}
