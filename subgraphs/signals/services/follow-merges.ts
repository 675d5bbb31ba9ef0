import { ProfileAliases } from '../../common/profile-aliases';
import type { EntityManager } from '../../common/orm';
import type { ResolvedEventRef } from '../../common/queues';
import { ProfileAlias } from '../entities/profile-alias.entity';

/**
 * The batch's events with each profile id followed to where it lives now: an event resolved
 * before a merge but taken over after it is stored under the survivor. One alias query per batch
 * (one more per merge-chain link found).
 */
export async function followMerges(em: EntityManager, tenantId: string, refs: readonly ResolvedEventRef[]): Promise<ResolvedEventRef[]> {
  const ids = [...new Set(refs.flatMap((r) => (r.profileId ? [r.profileId] : [])))];
  if (!ids.length) return [...refs];
  const survivors = await new ProfileAliases(em, ProfileAlias, tenantId).survivorsOf(ids);
  return refs.map((r) => (r.profileId ? { ...r, profileId: survivors.get(r.profileId) ?? r.profileId } : r));
}
