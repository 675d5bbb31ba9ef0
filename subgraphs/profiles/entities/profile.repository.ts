import { LockMode, raw, type FilterQuery } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/knex';

import { chunks } from '../../common/chunks';

import type { TraitTimestamps } from '../domain/traits';
import type { Profile } from './profile.entity';
import { Segment } from './segment.entity';

/** What a batch writes of one profile: its trait state and computed traits, once per batch. */
export interface ProfileState {
  id: string;
  traits: Record<string, unknown>;
  traitTimestamps: TraitTimestamps;
  computedTraits: Record<string, unknown>;
}

/** Ids per `IN` list, well under SQLite's and PostgreSQL's bound-parameter limits. */
const IDS_PER_STATEMENT = 500;

/** A profile's segment-evaluation marker as an evaluation read it (see `Profile.segmentsPendingVersion`). */
export interface SegmentsPendingSeen {
  id: string;
  version: number;
}

/** Set-based reads and writes of profiles for a batch of events. */
export class ProfileRepository extends EntityRepository<Profile> {
  /** Id and creation time of these profiles (what the merge rules compare): one query. */
  async createdAtOf(tenantId: string, ids: readonly string[]): Promise<{ id: string; createdAt: Date }[]> {
    if (ids.length === 0) return [];
    const rows = await this.find({ tenantId, id: { $in: [...ids] } }, { fields: ['id', 'createdAt'], disableIdentityMap: true });
    return rows.map(({ id, createdAt }) => ({ id, createdAt }));
  }

  /**
   * The stored state of these profiles, row-locked until the transaction ends (PostgreSQL
   * `FOR UPDATE`, in id order so two batches never wait on each other in a cycle; SQLite has one
   * writer anyway). A profile merged away meanwhile is missing from the result.
   */
  async lockStates(tenantId: string, ids: readonly string[]): Promise<Map<string, ProfileState>> {
    if (ids.length === 0) return new Map();
    const rows = await this.find(
      { tenantId, id: { $in: [...ids] } },
      {
        fields: ['id', 'traits', 'traitTimestamps', 'computedTraits'],
        lockMode: LockMode.PESSIMISTIC_WRITE,
        orderBy: { id: 'asc' },
        disableIdentityMap: true,
      },
    );
    return new Map(rows.map((p) => [p.id, { id: p.id, traits: p.traits, traitTimestamps: p.traitTimestamps, computedTraits: p.computedTraits }]));
  }

  /** Inserts new, empty profiles with these ids: one statement. */
  async insertNew(tenantId: string, ids: readonly string[], now: Date): Promise<void> {
    if (ids.length === 0) return;
    await this.createQueryBuilder()
      .insert(ids.map((id) => ({ id, tenantId, traits: {}, traitTimestamps: {}, computedTraits: {}, mergedFrom: [], createdAt: now, updatedAt: now })))
      .execute();
  }

  /**
   * Writes the computed traits of stored profiles (states read with `lockStates`), leaving their
   * traits alone: one multi-row upsert, keyed on id.
   */
  async writeComputedTraits(tenantId: string, states: readonly ProfileState[], now: Date): Promise<void> {
    if (states.length === 0) return;
    await this.createQueryBuilder()
      .insert(states.map((s) => ({ ...s, tenantId, mergedFrom: [], createdAt: now, updatedAt: now })))
      .onConflict('id')
      .merge(['computedTraits', 'updatedAt'])
      .execute();
  }

  /** Writes the traits and computed traits of stored profiles: one multi-row upsert, keyed on id. */
  async writeStates(tenantId: string, states: readonly ProfileState[], now: Date): Promise<void> {
    if (states.length === 0) return;
    await this.createQueryBuilder()
      .insert(states.map((s) => ({ ...s, tenantId, mergedFrom: [], createdAt: now, updatedAt: now })))
      .onConflict('id')
      .merge(['traits', 'traitTimestamps', 'computedTraits', 'updatedAt'])
      .execute();
  }

  /**
   * These profiles as managed entities, row-locked until the transaction ends and re-read (a
   * cached row would hide a concurrent change). Id order, like every other profile lock, so two
   * lockers cannot deadlock. A merged-away or deleted profile is missing.
   */
  lockForUpdate(tenantId: string, ids: readonly string[]): Promise<Profile[]> {
    return this.find({ tenantId, id: { $in: [...ids] } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' }, refresh: true });
  }

  /**
   * The next `limit` profile ids after `after` in id order, optionally narrowed by `where`
   * (raw rows: partially loaded entities would linger in the identity map).
   */
  async idsAfter(tenantId: string, after: string | null, limit: number, where: FilterQuery<Profile> = {}): Promise<string[]> {
    const rows = (await this.createQueryBuilder('p')
      .select('p.id')
      .where({ tenantId, ...(after ? { id: { $gt: after } } : {}), ...(where as object) })
      .orderBy({ id: 'asc' })
      .limit(limit)
      .execute('all', false)) as { id: string }[];
    return rows.map((r) => String(r.id));
  }

  /**
   * These profiles await a segment evaluation (see `Profile.segmentsPendingSince`): keeps the
   * oldest pending time and raises the version. One UPDATE per chunk of ids, in the caller's
   * transaction (the one that wrote what the evaluation must see). A tenant without segments owes
   * no evaluation (a segment created later is backfilled over every profile): one read of its
   * segments, and no write at all, then nor in its evaluation.
   */
  async markSegmentsPending(tenantId: string, ids: readonly string[], now: Date): Promise<void> {
    const em = this.getEntityManager();
    if (ids.length === 0 || !(await em.findOne(Segment, { tenantId }, { fields: ['id'], disableIdentityMap: true }))) return;
    // bound as the driver stores dates: epoch ms on SQLite, a timestamp on PostgreSQL
    const at = em.getPlatform().processDateProperty(now);
    for (const chunk of chunks([...new Set(ids)], IDS_PER_STATEMENT)) {
      await em
        .createQueryBuilder(this.getEntityName())
        .update({
          segmentsPendingSince: raw('coalesce(??, ?)', ['segments_pending_since', at]),
          segmentsPendingVersion: raw('?? + 1', ['segments_pending_version']),
        } as never)
        .where({ tenantId, id: { $in: chunk } })
        .execute();
    }
  }

  /**
   * The evaluation of these profiles is done: clears the marker of each profile whose version is
   * still the one the evaluation read (a change since keeps it pending). One UPDATE for all, an
   * `$or` per distinct version (a batch's profiles mostly share one or two).
   */
  async clearSegmentsPending(tenantId: string, seen: readonly SegmentsPendingSeen[]): Promise<void> {
    if (seen.length === 0) return;
    const byVersion = new Map<number, string[]>();
    for (const { id, version } of seen) byVersion.set(version, [...(byVersion.get(version) ?? []), id]);
    await this.getEntityManager()
      .createQueryBuilder(this.getEntityName())
      .update({ segmentsPendingSince: null })
      .where({ tenantId, $or: [...byVersion].map(([version, ids]) => ({ segmentsPendingVersion: version, id: { $in: ids } })) })
      .execute();
  }

  /**
   * Tenants with a profile whose segment evaluation has been owed since before `cutoff`: one
   * query. The profiles sweeper's read: it crosses tenants on purpose (call it on a fork without
   * the tenant filter).
   */
  async tenantsWithSegmentsPending(cutoff: Date): Promise<string[]> {
    const rows = (await this.createQueryBuilder('p')
      .select('p.tenant_id')
      .distinct()
      .where({ segmentsPendingSince: { $lt: cutoff } })
      .execute('all', false)) as { tenant_id: string }[];
    return rows.map((r) => String(r.tenant_id)).sort();
  }

  /** The tenant's profiles whose segment evaluation has been owed since before `cutoff`, by id after `after`, at most `limit`. */
  async segmentsPendingOf(tenantId: string, cutoff: Date, after: string | null, limit: number): Promise<string[]> {
    const rows = (await this.createQueryBuilder('p')
      .select('p.id')
      .where({ tenantId, segmentsPendingSince: { $lt: cutoff }, ...(after ? { id: { $gt: after } } : {}) })
      .orderBy({ id: 'asc' })
      .limit(limit)
      .execute('all', false)) as { id: string }[];
    return rows.map((r) => String(r.id));
  }
}
