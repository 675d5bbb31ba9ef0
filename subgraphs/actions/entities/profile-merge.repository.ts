import type { EntityManager } from '../../common/orm';
import { Alert } from './alert.entity';
import { ExperimentAssignment } from './experiment-assignment.entity';
import { ExperimentConversion } from './experiment-conversion.entity';
import { PlaybookAssignment } from './playbook-assignment.entity';
import { PlaybookOutcome } from './playbook-outcome.entity';

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
  async repoint(mergedProfileId: string, survivorProfileId: string): Promise<number> {
    const alerts = await this.em.nativeUpdate(Alert, { tenantId: this.tenantId, profileId: mergedProfileId }, { profileId: survivorProfileId });
    return alerts + (await this.repointAssignments(mergedProfileId, survivorProfileId)) + (await this.repointExperimentAssignments(mergedProfileId, survivorProfileId));
  }

  /** As playbook assignments, per experiment: the survivor's own assignment wins; conversions follow theirs. One read and two UPDATEs. */
  private async repointExperimentAssignments(mergedProfileId: string, survivorProfileId: string): Promise<number> {
    const taken = (await this.em.find(ExperimentAssignment, { tenantId: this.tenantId, profileId: survivorProfileId }, { fields: ['experimentId'], disableIdentityMap: true })).map((a) => a.experimentId);
    const free = taken.length ? { experimentId: { $nin: taken } } : {};
    const moved = await this.em.nativeUpdate(ExperimentAssignment, { tenantId: this.tenantId, profileId: mergedProfileId, ...free }, { profileId: survivorProfileId });
    await this.em.nativeUpdate(ExperimentConversion, { tenantId: this.tenantId, profileId: mergedProfileId, ...free }, { profileId: survivorProfileId });
    return moved;
  }

  /**
   * The merged profile's assignments move to the survivor, so its later outcome events (which
   * arrive under the survivor) still count; where the survivor has its own assignment in the same
   * playbook, that one is measured and the merged one stays behind (one row per playbook and
   * profile). Outcome rows follow their assignment. One read and two UPDATEs.
   */
  private async repointAssignments(mergedProfileId: string, survivorProfileId: string): Promise<number> {
    const taken = (await this.em.find(PlaybookAssignment, { tenantId: this.tenantId, profileId: survivorProfileId }, { fields: ['playbookId'], disableIdentityMap: true })).map((a) => a.playbookId);
    const free = taken.length ? { playbookId: { $nin: taken } } : {};
    const moved = await this.em.nativeUpdate(PlaybookAssignment, { tenantId: this.tenantId, profileId: mergedProfileId, ...free }, { profileId: survivorProfileId });
    await this.em.nativeUpdate(PlaybookOutcome, { tenantId: this.tenantId, profileId: mergedProfileId, ...free }, { profileId: survivorProfileId });
    return moved;
  }
}
