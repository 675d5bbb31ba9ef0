import { raw } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/knex';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';

import { STAGE_BATCH_MAX, type ResolvedEventRef } from '../../common/queues';
import type { BatchReads } from '../domain/friction/detect-batch';
import type { FrictionEvent } from '../domain/friction/events';
import type { Event } from './event.entity';
import { chunks } from '../../common/chunks';

/** Ids per statement, well under SQLite's and PostgreSQL's bound-parameter limits. */
const IDS_PER_STATEMENT = 400;

/** What of a stored event the hand-off to the actions stage (`playbook-events`) carries. */
export type PlaybookEventRow = Pick<Event, 'id' | 'profileId' | 'name' | 'properties' | 'timestamp' | 'playbookEventsPendingSince'>;

/** Set-based reads and writes of stored events for the signals stage (one statement per batch each). */
export class EventRepository extends EntityRepository<Event> {
  /**
   * Takes a batch of resolved events over: `processedAt` keeps the first resolution time, the
   * profile id follows the latest (a merge re-points events; null never takes one away), and the
   * hand-off to the risk stage becomes pending from `now`. One UPDATE per chunk of ids: an event
   * is never seen processed without its profile (two statements once let a reader in between find
   * a whole batch processed and unattributed). The same UPDATE marks the named events that end up
   * with a profile as handed to the actions stage (`playbookEventsPendingSince`, see
   * `playbook-events`): exactly the events the pass sends there, with no statement of its own.
   */
  async takeOver(tenantId: string, refs: readonly ResolvedEventRef[], now: Date): Promise<void> {
    const platform = this.em.getPlatform();
    const pg = platform instanceof PostgreSqlPlatform;
    // bound as the driver stores dates: a timestamp on PostgreSQL, epoch ms on SQLite
    const at = platform.processDateProperty(now);
    const processedAt = raw(`coalesce(processed_at, ${pg ? '?::timestamptz' : '?'})`, [at]);
    for (const chunk of chunks(refs, IDS_PER_STATEMENT)) {
      const ids = chunk.map((r) => r.eventId);
      const attributed = chunk.filter((r): r is ResolvedEventRef & { profileId: string } => r.profileId !== null);
      // the profile the row will have: SET reads the old values, so the marker repeats the expression
      const [profileSql, profileParams] = attributed.length
        ? [`case id ${attributed.map(() => (pg ? 'when ?::uuid then ?::uuid' : 'when ? then ?')).join(' ')} else profile_id end`, attributed.flatMap((r) => [r.eventId, r.profileId])]
        : ['profile_id', []];
      const profileId = attributed.length ? raw(profileSql, profileParams) : undefined;
      // a marker of an earlier hand-off stays when the event is not handed over again
      const playbookEventsPendingSince = raw(
        `case when name is not null and (${profileSql}) is not null then ${pg ? '?::timestamptz' : '?'} else playbook_events_pending_since end`,
        [...profileParams, at],
      );
      await this.createQueryBuilder()
        .update({ processedAt, handOffPendingSince: now, playbookEventsPendingSince, ...(profileId ? { profileId } : {}) } as Partial<Event>)
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
   * Actions matched these events against its waiting runs: clears their marker where it was set
   * no later than `upTo` (a newer marker is a later hand-off, still unacknowledged). One UPDATE
   * per chunk of ids (an acknowledgement names at most `STAGE_BATCH_MAX`: one UPDATE).
   */
  async playbookEventsDone(tenantId: string, ids: readonly string[], upTo: Date): Promise<number> {
    let cleared = 0;
    for (const chunk of chunks(ids, STAGE_BATCH_MAX)) {
      cleared += await this.nativeUpdate({ tenantId, id: { $in: chunk }, playbookEventsPendingSince: { $lte: upTo } }, { playbookEventsPendingSince: null });
    }
    return cleared;
  }

  /**
   * One tenant's events whose hand-off to the actions stage has been pending since before
   * `cutoff`, in id order after `after` (keyset paging), with what `playbook-events` carries. The
   * sweeper's read: its entity manager crosses tenants on purpose, so the tenant is named here.
   */
  pendingPlaybookEvents(tenantId: string, cutoff: Date, limit: number, after: string | null): Promise<PlaybookEventRow[]> {
    return this.find(
      { tenantId, playbookEventsPendingSince: { $lt: cutoff }, ...(after ? { id: { $gt: after } } : {}) },
      {
        orderBy: { id: 'asc' },
        limit,
        fields: ['id', 'tenantId', 'profileId', 'name', 'properties', 'timestamp', 'playbookEventsPendingSince'],
        disableIdentityMap: true,
      },
    );
  }

  /** The tenants with events whose hand-off to the actions stage has been pending since before `cutoff`. One query. */
  async tenantsWithPendingPlaybookEvents(cutoff: Date): Promise<string[]> {
    const rows = (await this.createQueryBuilder('e').select('e.tenant_id').distinct().where({ playbookEventsPendingSince: { $lt: cutoff } }).execute('all', false)) as { tenant_id: string }[];
    return rows.map((r) => String(r.tenant_id)).sort();
  }

  /** The tenants with events whose hand-off to risk has been pending since before `cutoff`. One query, across tenants on purpose. */
  async tenantsWithPendingHandOff(cutoff: Date): Promise<string[]> {
    const rows = (await this.createQueryBuilder('e').select('e.tenant_id').distinct().where({ handOffPendingSince: { $lt: cutoff } }).execute('all', false)) as { tenant_id: string }[];
    return rows.map((r) => String(r.tenant_id)).sort();
  }

  /**
   * A tenant's events whose hand-off has been pending since before `cutoff` (their job died
   * between taking them over and handing them on), by id after `after`, at most `limit`. Keyed on
   * the tenant so both databases read the partial index of pending hand-offs: across tenants,
   * SQLite walked the primary key from `after` through every newer event.
   */
  pendingHandOff(tenantId: string, cutoff: Date, after: string | null, limit: number): Promise<Pick<Event, 'id' | 'tenantId' | 'profileId'>[]> {
    return this.find(
      { tenantId, handOffPendingSince: { $lt: cutoff }, ...(after ? { id: { $gt: after } } : {}) },
      { orderBy: { id: 'asc' }, limit, fields: ['id', 'tenantId', 'profileId'], disableIdentityMap: true },
    );
  }
}
