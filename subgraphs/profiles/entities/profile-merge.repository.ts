import { EntityRepository } from '@mikro-orm/knex';

import type { ProfileMerge } from './profile-merge.entity';

/** Longest merge chain followed; real chains are a few links, this only stops a corrupt cycle. */
const MAX_CHAIN = 64;

export class ProfileMergeRepository extends EntityRepository<ProfileMerge> {
  /**
   * Where each id lives now: itself when it was never merged, else the end of its merge chain
   * (A merged into B, B into C → C). One query per chain link, for all ids at once.
   */
  async survivorsOf(tenantId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const current = new Map(ids.map((id) => [id, id]));
    let pending = [...new Set(ids)];
    for (let depth = 0; pending.length > 0 && depth < MAX_CHAIN; depth++) {
      const links = await this.find({ tenantId, mergedProfileId: { $in: pending } });
      const next = new Map(links.map((l) => [l.mergedProfileId, l.survivorProfileId]));
      for (const [id, at] of current) {
        const to = next.get(at);
        if (to) current.set(id, to);
      }
      pending = [...new Set(next.values())];
    }
    return current;
  }

  /** The profiles each of these events merged away, oldest merge first: one query. */
  async mergedBy(tenantId: string, eventIds: readonly string[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>();
    if (eventIds.length === 0) return result;
    const rows = await this.find(
      { tenantId, eventId: { $in: [...eventIds] } },
      { orderBy: { mergedAt: 'asc', id: 'asc' }, disableIdentityMap: true },
    );
    for (const row of rows) result.set(row.eventId, [...(result.get(row.eventId) ?? []), row.mergedProfileId]);
    return result;
  }
}
