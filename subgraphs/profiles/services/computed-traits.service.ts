import { LockMode } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import { TENANT_FILTER } from '../../common/tenant-filter';
import { shapeComputedTraits, withBuiltinComputedTraits, withComputedNamespace } from '../domain/computed-traits';
import { Profile } from '../entities/profile.entity';
import { ProfileEvent } from '../entities/profile-event.entity';
import { ProfileMerge } from '../entities/profile-merge.entity';

/** Keeps `Profile.computedTraits` current: the built-in aggregates and namespaces other stages push. */
export class ComputedTraitsService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * Recomputes the built-in computed traits of these (managed) profiles from their `ProfileEvent`
   * rows with one grouped SQL aggregate (`ProfileEventRepository.aggregatesOf`), windows ending at `now`, and assigns them; the caller
   * flushes. Pushed namespaces are kept.
   */
  async recompute(profiles: Profile[], now: Date): Promise<void> {
    if (profiles.length === 0) return;
    const rows = await this.em.getRepository(ProfileEvent).aggregatesOf(
      this.tenantId,
      profiles.map((p) => p.id),
      now,
    );
    for (const profile of profiles) {
      const builtins = shapeComputedTraits(rows.get(profile.id) ?? [], now);
      profile.computedTraits = withBuiltinComputedTraits(profile.computedTraits, builtins);
    }
  }

  /**
   * Writes traits another stage computed into the `source` namespace of a profile, following
   * merges to the survivor. Returns the profile, or null when no such profile ever existed.
   */
  async push(profileId: string, source: string, traits: Record<string, unknown>): Promise<Profile | null> {
    return this.em.transactional(async (em) => {
      // TODO(#11): the set-computed-traits worker should pass `forkForTenant`; until it does, this unit of work pins its own tenant
      em.setFilterParams(TENANT_FILTER, { tenantId: this.tenantId });
      const survivors = await em.getRepository(ProfileMerge).survivorsOf(this.tenantId, [profileId]);
      // the row lock orders this write with a resolve job recomputing the same profile
      const profile = await em.findOne(
        Profile,
        { tenantId: this.tenantId, id: survivors.get(profileId) ?? profileId },
        { lockMode: LockMode.PESSIMISTIC_WRITE },
      );
      if (!profile) return null;
      profile.computedTraits = withComputedNamespace(profile.computedTraits, source, traits);
      return profile;
    });
  }
}
