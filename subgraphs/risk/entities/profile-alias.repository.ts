import type { EntityManager } from '../../common/orm';
import { ProfileAlias } from './profile-alias.entity';

/** Longest merge chain followed; real chains are a few links, this only stops a corrupt cycle. */
const MAX_CHAIN = 16;

/** Risk's record of merged profiles. */
export class ProfileAliasRepository {
  constructor(
    private readonly em: EntityManager,
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
        .createQueryBuilder(ProfileAlias)
        .select(['mergedProfileId', 'survivorProfileId'])
        .where({ tenantId: this.tenantId, mergedProfileId: { $in: pending } })
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
}
