import type { EntityClass } from '@mikro-orm/core';

import type { TenantEntity } from './base.entity';
import { insertOnce, type EntityManager } from './orm';

/** A subgraph's record of one merge: `mergedProfileId` now lives on as `survivorProfileId`. */
export interface ProfileAliasRow extends TenantEntity {
  mergedProfileId: string;
  survivorProfileId: string;
}

/** Longest merge chain followed; real chains are a few links, this only stops a corrupt cycle. */
const MAX_CHAIN = 16;

/**
 * A subgraph's merged profiles (its own `profile_alias` table, unique per tenant and merged id):
 * where an id lives now, and recording a merge so that rows arriving later under the old id are
 * attributed to the survivor. Chains (A into B, B into C) are followed whatever order the merges
 * arrived in, the way risk does it.
 */
export class ProfileAliases<T extends ProfileAliasRow> {
  constructor(
    private readonly em: EntityManager,
    private readonly entity: EntityClass<T>,
    private readonly tenantId: string,
  ) {}

  /**
   * Where each id lives now: itself when it was never merged, else the end of its merge chain.
   * One query per chain link for all ids at once (one query when none was merged).
   */
  async survivorsOf(ids: readonly string[]): Promise<Map<string, string>> {
    const current = new Map(ids.map((id) => [id, id]));
    let pending = [...new Set(ids)];
    for (let depth = 0; pending.length > 0 && depth < MAX_CHAIN; depth++) {
      const links: { mergedProfileId: string; survivorProfileId: string }[] = await this.em
        .createQueryBuilder(this.entity)
        .select(['mergedProfileId', 'survivorProfileId'] as never)
        .where({ tenantId: this.tenantId, mergedProfileId: { $in: pending } } as never)
        .execute('all', true);
      const next = new Map(links.map((l) => [l.mergedProfileId, l.survivorProfileId]));
      for (const [id, at] of current) {
        const to = next.get(at);
        if (to) current.set(id, to);
      }
      pending = [...new Set(next.values())];
    }
    return current;
  }

  /**
   * Records that `mergedProfileId` was merged into `survivorProfileId`, pointing the alias at the
   * end of the survivor's own chain (a later merge of the survivor may have arrived first). A
   * replay keeps the first record. Returns where the merged id's rows belong now, or null when
   * the merge would close a cycle (the merged id is itself that end), which is ignored.
   */
  async record(mergedProfileId: string, survivorProfileId: string): Promise<string | null> {
    const survivor = (await this.survivorsOf([survivorProfileId])).get(survivorProfileId) ?? survivorProfileId;
    if (survivor === mergedProfileId) return null;
    const row = { tenantId: this.tenantId, mergedProfileId, survivorProfileId: survivor };
    await insertOnce(this.em, this.entity, row as never, ['tenantId', 'mergedProfileId'] as never);
    return survivor;
  }
}
