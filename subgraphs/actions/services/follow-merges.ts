import { ProfileAliases } from '../../common/profile-aliases';
import type { EntityManager } from '../../common/orm';
import { ProfileAlias } from '../entities/profile-alias.entity';

/** Where a profile lives now in actions' view: itself, or the survivor of the merges it went through. */
export async function survivorOf(em: EntityManager, tenantId: string, profileId: string): Promise<string> {
  return (await new ProfileAliases(em, ProfileAlias, tenantId).survivorsOf([profileId])).get(profileId) ?? profileId;
}
