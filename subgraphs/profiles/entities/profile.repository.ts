import { LockMode, type FilterQuery } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/knex';

import type { TraitTimestamps } from '../domain/traits';
import type { Profile } from './profile.entity';

/** What a batch writes of one profile: its trait state and computed traits, once per batch. */
export interface ProfileState {
  id: string;
  traits: Record<string, unknown>;
  traitTimestamps: TraitTimestamps;
  computedTraits: Record<string, unknown>;
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
}
