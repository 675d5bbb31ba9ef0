import type { EntityManager } from '../../common/orm';
import type { ComputedTraitsItem } from '../../common/queues';
import { shapeComputedTraits, withBuiltinComputedTraits, withComputedNamespace } from '../domain/computed-traits';
import { Profile } from '../entities/profile.entity';
import { ProfileEvent } from '../entities/profile-event.entity';
import { ProfileMerge } from '../entities/profile-merge.entity';
import type { ProfileState } from '../entities/profile.repository';

/**
 * Items of a `set-computed-traits` batch written per transaction: three statements whatever the
 * size; 100 keeps a chunk's locks and its JSON building short.
 */
export const PUSH_CHUNK = 100;

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
   * Writes traits other stages computed into their `source` namespaces, item by item in order,
   * following merges to the survivors (`ProfileMerge.survivorsOf`). Per chunk of `chunk` items, one
   * transaction: one read of the merge links per chain link, one locking read of the profiles
   * (ordered by id, like every profile lock, so it orders with a resolve job writing the same
   * profiles), one multi-row upsert of their computed traits, one UPDATE marking them pending segment
   * evaluation; a yield between chunks. Returns, per
   * item, the profile it was written to, or null when no such profile exists. A replay writes the
   * same values again.
   */
  async pushMany(items: readonly ComputedTraitsItem[], now = new Date(), chunk = PUSH_CHUNK): Promise<(string | null)[]> {
    const landed: (string | null)[] = [];
    for (let i = 0; i < items.length; i += chunk) {
      // let the event loop breathe between chunk transactions (SQLite runs them on this thread)
      if (i > 0) await new Promise(setImmediate);
      const part = items.slice(i, i + chunk);
      landed.push(...(await this.em.transactional((em) => this.pushChunk(em, part, now))));
    }
    return landed;
  }

  private async pushChunk(em: EntityManager, items: readonly ComputedTraitsItem[], now: Date): Promise<(string | null)[]> {
    const { tenantId } = this;
    const merges = em.getRepository(ProfileMerge);
    const profiles = em.getRepository(Profile);
    const requested = [...new Set(items.map((item) => item.profileId))];
    const survivors = await merges.survivorsOf(tenantId, requested);
    const states = await profiles.lockStates(tenantId, [...new Set(survivors.values())]);
    // merged away between the two reads: follow the chain once more and lock the new survivors
    const moved = requested.filter((id) => !states.has(survivors.get(id)!));
    if (moved.length) {
      const again = await merges.survivorsOf(tenantId, moved);
      const more = await profiles.lockStates(tenantId, [...new Set(again.values())].filter((id) => !states.has(id)));
      for (const [id, state] of more) states.set(id, state);
      for (const [id, survivor] of again) survivors.set(id, survivor);
    }
    const written = new Map<string, ProfileState>();
    const landed = items.map(({ profileId, source, traits }) => {
      const id = survivors.get(profileId)!;
      const state = written.get(id) ?? states.get(id);
      if (!state) return null;
      written.set(id, { ...state, computedTraits: withComputedNamespace(state.computedTraits, source, traits) });
      return id;
    });
    await profiles.writeComputedTraits(tenantId, [...written.values()], now);
    // the evaluate-segments hand-off, recoverable from SQL should its job be lost
    await profiles.markSegmentsPending(tenantId, [...written.keys()], now);
    return landed;
  }
}
