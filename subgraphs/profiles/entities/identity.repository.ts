import { EntityRepository } from '@mikro-orm/knex';
import { uuidv7 } from 'uuidv7';

import type { IdentityKey, MatchedIdentity } from '../domain/resolution';
import type { Identity, IdentityType } from './identity.entity';

/** A new identity row: the key and the profile it points to. */
export interface IdentityRow extends IdentityKey {
  profileId: string;
}

/** Set-based reads and writes of identities for a batch of events. */
export class IdentityRepository extends EntityRepository<Identity> {
  /**
   * The stored identities among `keys`, with their profiles: one query for the whole batch
   * (`type IN … AND value IN …`, exact pairs kept in memory, so one statement shape serves any mix).
   */
  async ownersOf(tenantId: string, keys: readonly IdentityKey[]): Promise<MatchedIdentity[]> {
    if (keys.length === 0) return [];
    const wanted = new Set(keys.map(keyOf));
    // raw rows: nothing to hydrate or track for a look-up
    const rows = (await this.createQueryBuilder('i')
      .select(['i.type', 'i.value', 'i.profile'])
      .where({
        tenantId,
        type: { $in: [...new Set(keys.map((k) => k.kind as IdentityType))] },
        value: { $in: [...new Set(keys.map((k) => k.value))] },
      })
      .execute('all', false)) as { type: IdentityKey['kind']; value: string; profile_id: string }[];
    return rows
      .map((row) => ({ kind: row.type, value: row.value, profileId: row.profile_id }))
      .filter((match) => wanted.has(keyOf(match)));
  }

  /** Every `user_id` each of these profiles holds (what forbids merging two users): one query. */
  async userIdsOf(tenantId: string, profileIds: readonly string[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>(profileIds.map((id) => [id, []]));
    if (profileIds.length === 0) return result;
    const rows = (await this.createQueryBuilder('i')
      .select(['i.value', 'i.profile'])
      .where({ tenantId, type: 'user_id' as IdentityType, profile: { $in: [...profileIds] } })
      .execute('all', false)) as { value: string; profile_id: string }[];
    for (const row of rows) result.get(row.profile_id)?.push(row.value);
    return result;
  }

  /**
   * Inserts the rows, leaving a key a concurrent writer stored first untouched, then reads the
   * keys back: returns the keys that now belong to another profile than asked (empty when every
   * row went in or was already ours). Two statements whatever the number of rows.
   */
  async insertOrKeep(tenantId: string, rows: readonly IdentityRow[], now: Date): Promise<MatchedIdentity[]> {
    if (rows.length === 0) return [];
    // a query builder, not the unit of work: no entity is built or tracked per row
    await this.createQueryBuilder()
      .insert(
        rows.map(({ kind, value, profileId }) => ({
          id: uuidv7(),
          tenantId,
          type: kind as IdentityType,
          value,
          profile: profileId,
          createdAt: now,
          updatedAt: now,
        })),
      )
      .onConflict(['tenantId', 'type', 'value'])
      .ignore()
      .execute();
    const asked = new Map(rows.map((r) => [keyOf(r), r.profileId]));
    const stored = await this.ownersOf(tenantId, rows);
    return stored.filter((s) => asked.get(keyOf(s)) !== s.profileId);
  }
}

function keyOf(key: IdentityKey): string {
  return `${key.kind}\u0000${key.value}`;
}
