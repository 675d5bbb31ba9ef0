import { ProfileAliases } from '../../common/profile-aliases';
import type { EntityManager } from '../../common/orm';
import { ProfileAlias } from './profile-alias.entity';

/** Risk's record of merged profiles (the chain-following shared with signals and actions). */
export class ProfileAliasRepository extends ProfileAliases<ProfileAlias> {
  constructor(em: EntityManager, tenantId: string) {
    super(em, ProfileAlias, tenantId);
  }
}
