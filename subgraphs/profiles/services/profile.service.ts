import { UniqueConstraintViolationException } from '@mikro-orm/core';
import DataLoader from 'dataloader';

import { AppError } from '../../common/errors';
import { isUuid } from '../../common/ids';
import type { EntityManager } from '../../common/orm';
import { normalizeIdentity } from '../domain/identity';
import { Identity, IdentityType } from '../entities/identity.entity';
import { Profile } from '../entities/profile.entity';
import type { UpsertProfileInput } from '../resolvers/profile.input';

/** Reads and writes of profiles for one tenant-scoped request or job. */
export class ProfileService {
  /** Batches the gateway's `_entities` look-ups of one request into one query. */
  private readonly byIdLoader: DataLoader<string, Profile | null>;

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {
    this.byIdLoader = new DataLoader(async (ids) => {
      // an id that is not a UUID cannot exist: answer null instead of a database error
      const valid = ids.filter(isUuid);
      const rows = valid.length ? await this.em.find(Profile, { tenantId: this.tenantId, id: { $in: valid } }) : [];
      const byId = new Map(rows.map((p) => [p.id, p]));
      return ids.map((id) => byId.get(id) ?? null);
    });
  }

  byId(id: string): Promise<Profile | null> {
    return this.byIdLoader.load(id);
  }

  async byIdentity(type: IdentityType, value: string): Promise<Profile | null> {
    const identity = await this.em.findOne(
      Identity,
      { tenantId: this.tenantId, type, value: normalizeIdentity(type, value) },
      { populate: ['profile'] },
    );
    return identity ? identity.profile.getEntity() : null;
  }

  /**
   * Finds the profile its identities point at (or creates it) and merges the traits. Safe to
   * retry: a second call with the same input finds the same profile.
   */
  async upsert(input: UpsertProfileInput): Promise<Profile> {
    const identities = dedupeIdentities([
      ...input.identities,
      ...(input.email ? [{ type: IdentityType.EMAIL, value: input.email }] : []),
    ]);
    if (identities.length === 0) {
      throw new AppError('BAD_USER_INPUT', 'at least one usable identity is required');
    }
    try {
      return await this.upsertOnce(identities, input.traits ?? {});
    } catch (err) {
      // a concurrent upsert created one of the identities first: the second pass finds it
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
      this.em.clear();
      return this.upsertOnce(identities, input.traits ?? {});
    }
  }

  private async upsertOnce(identities: { type: IdentityType; value: string }[], traits: Record<string, unknown>) {
    const existing = await this.em.find(
      Identity,
      { tenantId: this.tenantId, $or: identities.map(({ type, value }) => ({ type, value })) },
      { populate: ['profile'] },
    );
    const profileIds = new Set(existing.map((i) => i.profile.id));
    if (profileIds.size > 1) {
      throw new AppError('CONFLICT', 'these identities belong to different profiles', {
        profileIds: [...profileIds].sort(),
      });
    }
    const profile = existing[0]?.profile.getEntity() ?? this.em.create(Profile, { tenantId: this.tenantId, traits: {} });
    profile.traits = { ...profile.traits, ...traits };
    const known = new Set(existing.map((i) => `${i.type}\u0000${i.value}`));
    for (const { type, value } of identities) {
      if (known.has(`${type}\u0000${value}`)) continue;
      this.em.create(Identity, { tenantId: this.tenantId, type, value, profile });
    }
    await this.em.flush();
    await this.em.populate(profile, ['identities']);
    return profile;
  }
}

function dedupeIdentities(list: { type: IdentityType; value: string }[]) {
  const seen = new Map<string, { type: IdentityType; value: string }>();
  for (const { type, value } of list) {
    const normalized = normalizeIdentity(type, value);
    if (normalized !== null) seen.set(`${type}\u0000${normalized}`, { type, value: normalized });
  }
  return [...seen.values()];
}
