import { LockMode } from '@mikro-orm/core';
import { uuidv7 } from 'uuidv7';

import type { EntityManager } from '../../common/orm';
import type { FeatureState } from '../domain/churn/feature-state';
import { ProfileFeatureState } from './profile-feature-state.entity';
import { ROWS_PER_INSERT } from './insert-ignoring';

/** A stored state: null when stale; the purchase events it keeps (or is to keep, when stale). */
export interface StoredFeatureState {
  state: FeatureState | null;
  purchaseEvents: string[];
}

/** Profiles' incremental feature states: read per batch in one query, written multi-row. */
export class ProfileFeatureStateRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * The stored states of these profiles (absent: no row). With `lock` (inside a transaction),
   * the rows are locked until it ends, so two batches of one profile fold one after the other
   * (PostgreSQL; SQLite runs one write transaction at a time anyway).
   */
  async statesOf(profileIds: readonly string[], lock = false): Promise<Map<string, StoredFeatureState>> {
    const states = new Map<string, StoredFeatureState>();
    if (profileIds.length === 0) return states;
    const qb = this.em
      .createQueryBuilder(ProfileFeatureState)
      .select(['profileId', 'state', 'purchaseEvents'])
      .where({ tenantId: this.tenantId, profileId: { $in: [...new Set(profileIds)] } })
      .orderBy({ profileId: 'asc' }); // one lock order for every batch: no deadlock between two
    if (lock) qb.setLockMode(LockMode.PESSIMISTIC_WRITE);
    const rows: { profileId: string; state: string | null; purchaseEvents: string }[] = await qb.execute('all', true);
    for (const r of rows) states.set(r.profileId, { state: r.state === null ? null : (JSON.parse(r.state) as FeatureState), purchaseEvents: JSON.parse(r.purchaseEvents) as string[] });
    return states;
  }

  /** Writes the states of profiles whose rows the caller holds locked (see `statesOf`): multi-row upserts. */
  async save(states: ReadonlyMap<string, FeatureState>): Promise<void> {
    await this.write(states, 'save');
  }

  /**
   * Stores states of profiles that had no row when read. A row written meanwhile (by a batch
   * that read the history without this one's rows, or with them) may hold a different state
   * than this: `ifAbsent: 'stale'` turns it stale (safe always: rebuilt from history later);
   * `'keep'` keeps it (for a state built from a history read before any row existed, which a
   * writer that found no row either marks stale or built itself from the newer history).
   */
  async insertNew(states: ReadonlyMap<string, FeatureState>, ifAbsent: 'stale' | 'keep'): Promise<void> {
    await this.write(states, ifAbsent);
  }

  /** Marks states stale (kept purchase events widened by `purchaseEvents`): the next batch rebuilds them. */
  async markStale(profileIds: readonly string[], purchaseEvents: readonly string[] = []): Promise<void> {
    if (profileIds.length === 0) return;
    const current = await this.statesOf(profileIds);
    const rows = [...new Set(profileIds)].map((profileId) => ({
      profileId,
      state: null,
      purchaseEvents: JSON.stringify([...new Set([...(current.get(profileId)?.purchaseEvents ?? []), ...purchaseEvents])].sort()),
    }));
    await this.upsert(rows, ['state', 'purchaseEvents', 'updatedAt']);
  }

  /** Drops the states of profiles merged away (their history now belongs to the survivor). */
  async remove(profileIds: readonly string[]): Promise<void> {
    if (profileIds.length === 0) return;
    await this.em.createQueryBuilder(ProfileFeatureState).delete({ tenantId: this.tenantId, profileId: { $in: [...profileIds] } }).execute();
  }

  private async write(states: ReadonlyMap<string, FeatureState>, mode: 'save' | 'stale' | 'keep'): Promise<void> {
    const rows = [...states]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([profileId, state]) => ({ profileId, state: JSON.stringify(state), purchaseEvents: JSON.stringify(state.purchaseEvents) }));
    if (mode === 'save') await this.upsert(rows, ['state', 'purchaseEvents', 'updatedAt']);
    else if (mode === 'stale') await this.upsert(rows, { state: null });
    else await this.upsert(rows, null);
  }

  /** Multi-row insert; on a stored (tenant, profile): update `merge` (columns from the new row, or fixed values), or nothing. */
  private async upsert(rows: readonly { profileId: string; state: string | null; purchaseEvents: string }[], merge: string[] | Record<string, unknown> | null): Promise<void> {
    const now = new Date();
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      const chunk = rows.slice(i, i + ROWS_PER_INSERT).map((r) => ({ id: uuidv7(), tenantId: this.tenantId, createdAt: now, updatedAt: now, ...r }));
      const qb = this.em.createQueryBuilder(ProfileFeatureState).insert(chunk as never).onConflict(['tenantId', 'profileId']);
      if (merge === null) await qb.ignore().execute();
      else await qb.merge(merge as never).execute();
    }
  }
}
