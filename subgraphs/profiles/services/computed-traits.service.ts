import { LockMode, raw } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import {
  shapeComputedTraits,
  windowStarts,
  withBuiltinComputedTraits,
  withComputedNamespace,
  type EventAggregate,
} from '../domain/computed-traits';
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
   * rows with one grouped SQL aggregate, windows ending at `now`, and assigns them; the caller
   * flushes. Pushed namespaces are kept.
   */
  async recompute(profiles: Profile[], now: Date): Promise<void> {
    if (profiles.length === 0) return;
    const rows = await this.aggregate(
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

  /** Per profile, one row per (type, name): counts, window counts, first/last time, revenue. */
  private async aggregate(profileIds: string[], now: Date): Promise<Map<string, EventAggregate[]>> {
    const platform = this.em.getPlatform();
    // dates bound as the driver stores them: epoch ms on SQLite, timestamps on PostgreSQL
    const windows = windowStarts(now).map((start, i) =>
      raw('sum(case when ?? >= ? then 1 else 0 end) as ??', ['e.timestamp', platform.processDateProperty(start), `w${i}`]),
    );
    const result = (await this.em
      .createQueryBuilder(ProfileEvent, 'e')
      .select([
        'e.profileId',
        'e.type',
        'e.name',
        raw('count(*) as ??', ['cnt']),
        raw('min(??) as ??', ['e.timestamp', 'first_at']),
        raw('max(??) as ??', ['e.timestamp', 'last_at']),
        raw('coalesce(sum(??), 0) as ??', ['e.revenue', 'revenue']),
        ...windows,
      ])
      .where({ tenantId: this.tenantId, profileId: { $in: profileIds } })
      .groupBy(['e.profileId', 'e.type', 'e.name'])
      .execute('all', false)) as Record<string, unknown>[];

    const byProfile = new Map<string, EventAggregate[]>();
    for (const row of result) {
      const profileId = String(row.profile_id);
      const list = byProfile.get(profileId) ?? [];
      list.push({
        type: String(row.type),
        name: row.name === null ? null : String(row.name),
        // PostgreSQL returns bigint and numeric aggregates as strings
        count: Number(row.cnt),
        windowCounts: windows.map((_w, i) => Number(row[`w${i}`] ?? 0)),
        firstAt: toDate(row.first_at),
        lastAt: toDate(row.last_at),
        revenue: Number(row.revenue ?? 0),
      });
      byProfile.set(profileId, list);
    }
    return byProfile;
  }
}

/** A raw `datetime` aggregate: epoch ms on SQLite, a timestamp string (or Date) on PostgreSQL. */
function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  if (typeof value === 'string' && /^\d+$/.test(value)) return new Date(Number(value));
  const date = new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new RangeError(`computed traits: unreadable timestamp ${String(value)}`);
  return date;
}
