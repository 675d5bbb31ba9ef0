import type { EntityManager } from '../../common/orm';
import { Alert } from './alert.entity';

/** Moves what actions holds under a merged-away profile to its survivor. */
export class ProfileMergeRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * One UPDATE: the merged profile's alerts become the survivor's (alerts are keyed on the score
   * that raised them, not on the profile, so no key can collide). Returns how many moved; a replay
   * moves none.
   */
  repoint(mergedProfileId: string, survivorProfileId: string): Promise<number> {
    return this.em.nativeUpdate(Alert, { tenantId: this.tenantId, profileId: mergedProfileId }, { profileId: survivorProfileId });
  }
}
