import { UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import DataLoader from 'dataloader';

import { AppError } from '../../common/errors';
import { addFairly, type FairShare } from '../../common/fair-share';
import { EVALUATE_SEGMENTS, type Queues } from '../../common/queues';
import { isUuid } from '../../common/ids';
import type { EntityManager } from '../../common/orm';
import { normalizeIdentity } from '../domain/identity';
import { applyTraits } from '../domain/traits';
import { traitsSizeProblem } from '../domain/traits-size';
import { AccountGroup } from '../entities/account-group.entity';
import { GroupMembership } from '../entities/group-membership.entity';
import { Identity, IdentityType } from '../entities/identity.entity';
import { Profile } from '../entities/profile.entity';
import { ProfileMerge } from '../entities/profile-merge.entity';
import type { ProfilesFilter, UpsertProfileInput } from '../resolvers/profile.input';

export interface ProfileServiceEnv {
  /** Identifier values treated as junk besides the built-in list (Config.identity.junkValues). */
  junkValues?: readonly string[];
  /** Producers; when given, a changed profile is queued for segment re-evaluation. */
  queues?: Queues;
  /** Fair priorities for that job (see `FairShare`); without, it is queued ahead of every fair-ordered one. */
  fair?: FairShare;
}

/** One page of `profiles`, in the shape of `ProfileConnection`. */
export interface ProfilePage {
  edges: { cursor: string; node: Profile }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** A profile's account link with the account's traits, in the shape of `ProfileGroup`. */
export interface ProfileGroupView {
  groupId: string;
  traits: Record<string, unknown>;
  linkedAt: Date;
}

/** Trait keys a `profiles` filter may name: plain identifiers (they end up in a JSON path). */
const TRAIT_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_TRAIT_FILTERS = 10;

/** Reads and writes of profiles for one tenant-scoped request or job. */
export class ProfileService {
  /** Batches the gateway's `_entities` look-ups of one request into one query. */
  private readonly byIdLoader: DataLoader<string, Profile | null>;
  /** Batches `Profile.groups` of one response (e.g. a `profiles` page). */
  private readonly groupsLoader: DataLoader<string, ProfileGroupView[]>;
  private readonly junkValues: readonly string[];
  private readonly queues?: Queues;
  private readonly fair?: FairShare;

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    env: ProfileServiceEnv = {},
  ) {
    this.junkValues = env.junkValues ?? [];
    this.queues = env.queues;
    this.fair = env.fair;
    this.byIdLoader = new DataLoader((ids) => this.loadByIds(ids));
    this.groupsLoader = new DataLoader((ids) => this.loadGroups(ids));
  }

  /** The profile with this id, or the one it was merged into (following the chain); else null. */
  byId(id: string): Promise<Profile | null> {
    return this.byIdLoader.load(id);
  }

  async byIdentity(type: IdentityType, value: string): Promise<Profile | null> {
    const normalized = normalizeIdentity(type, value, this.junkValues);
    if (normalized === null) return null;
    const identity = await this.em.findOne(
      Identity,
      { tenantId: this.tenantId, type, value: normalized },
      { populate: ['profile'] },
    );
    return identity ? identity.profile.getEntity() : null;
  }

  /**
   * A page of the tenant's profiles in id order (uuidv7, so creation order, and stable while
   * profiles are added). Every filter given must hold: each `traits` key equals its (scalar)
   * value, the profile has the identity, it was updated at or after `updatedSince`.
   */
  async list(args: { filter?: ProfilesFilter | null; first: number; after?: string | null }): Promise<ProfilePage> {
    const where: FilterQuery<Profile>[] = [{ tenantId: this.tenantId }];
    if (args.after) where.push({ id: { $gt: decodeCursor(args.after) } });
    const filter = args.filter ?? {};
    if (filter.updatedSince) where.push({ updatedAt: { $gte: filter.updatedSince } });
    if (filter.traits) where.push({ traits: traitConditions(filter.traits) } as FilterQuery<Profile>);
    if (filter.identity) {
      const value = normalizeIdentity(filter.identity.type, filter.identity.value, this.junkValues);
      if (value === null) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
      where.push({ identities: { tenantId: this.tenantId, type: filter.identity.type, value } });
    }
    // one row more than asked tells whether another page exists
    const rows = await this.em.find(Profile, { $and: where }, { orderBy: { id: 'asc' }, limit: args.first + 1 });
    const edges = rows.slice(0, args.first).map((node) => ({ cursor: encodeCursor(node.id), node }));
    return { edges, pageInfo: { hasNextPage: rows.length > args.first, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  /** The accounts this profile belongs to (`group` events), oldest link first. */
  groupsFor(profileId: string): Promise<ProfileGroupView[]> {
    return this.groupsLoader.load(profileId);
  }

  /**
   * Finds the profile its identities point at (or creates it) and merges the traits. Safe to
   * retry: a second call with the same input finds the same profile.
   */
  async upsert(input: UpsertProfileInput): Promise<Profile> {
    const identities = dedupeIdentities(
      [...input.identities, ...(input.email ? [{ type: IdentityType.EMAIL, value: input.email }] : [])],
      this.junkValues,
    );
    if (identities.length === 0) {
      throw new AppError('BAD_USER_INPUT', 'at least one usable identity is required');
    }
    const tooLarge = traitsSizeProblem(input.traits ?? {}, undefined, 'input.traits');
    if (tooLarge) throw new AppError('BAD_USER_INPUT', tooLarge, { field: 'input.traits' });
    let profile: Profile;
    try {
      profile = await this.upsertOnce(identities, input.traits ?? {});
    } catch (err) {
      // a concurrent upsert created one of the identities first: the second pass finds it
      if (!(err instanceof UniqueConstraintViolationException)) throw err;
      this.em.clear();
      profile = await this.upsertOnce(identities, input.traits ?? {});
    }
    // traits changed outside the event stream: segments must see them too (job id per change),
    // fair-ordered in the live lane like the batches of the event stream
    if (this.queues) {
      const job = {
        name: EVALUATE_SEGMENTS,
        data: { tenantId: this.tenantId, profileIds: [profile.id] },
        opts: { jobId: `${this.tenantId}-${profile.id}-upsert-${profile.updatedAt.getTime()}` },
      };
      const queue = this.queues.get(EVALUATE_SEGMENTS);
      if (this.fair) await addFairly(queue, this.fair, [job], (d) => d.tenantId);
      else await queue.add(job.name, job.data, job.opts);
    }
    return profile;
  }

  private async loadByIds(ids: readonly string[]): Promise<(Profile | null)[]> {
    // an id that is not a UUID cannot exist: answer null instead of a database error
    const valid = [...new Set(ids.filter(isUuid))];
    const rows = valid.length ? await this.em.find(Profile, { tenantId: this.tenantId, id: { $in: valid } }) : [];
    const byId = new Map(rows.map((p) => [p.id, p]));
    // ids not found may have been merged: follow each to its survivor
    const missing = valid.filter((id) => !byId.has(id));
    if (missing.length) {
      const survivors = await this.em.getRepository(ProfileMerge).survivorsOf(this.tenantId, missing);
      const targets = [...new Set(survivors.values())].filter((id) => !missing.includes(id));
      const found = targets.length ? await this.em.find(Profile, { tenantId: this.tenantId, id: { $in: targets } }) : [];
      const targetById = new Map(found.map((p) => [p.id, p]));
      for (const id of missing) {
        const survivor = targetById.get(survivors.get(id)!);
        if (survivor) byId.set(id, survivor);
      }
    }
    return ids.map((id) => byId.get(id) ?? null);
  }

  private async loadGroups(profileIds: readonly string[]): Promise<ProfileGroupView[][]> {
    const links = await this.em.find(
      GroupMembership,
      { tenantId: this.tenantId, profileId: { $in: [...profileIds] } },
      { orderBy: { createdAt: 'asc', id: 'asc' } },
    );
    const groupIds = [...new Set(links.map((l) => l.groupId))];
    const groups = groupIds.length ? await this.em.find(AccountGroup, { tenantId: this.tenantId, groupId: { $in: groupIds } }) : [];
    const traitsOf = new Map(groups.map((g) => [g.groupId, g.traits]));
    return profileIds.map((profileId) =>
      links
        .filter((l) => l.profileId === profileId)
        .map((l) => ({ groupId: l.groupId, traits: traitsOf.get(l.groupId) ?? {}, linkedAt: l.createdAt })),
    );
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
    // stamped with the arrival time, so identify events older than this call do not undo it
    const next = applyTraits({ traits: profile.traits, timestamps: profile.traitTimestamps }, traits, Date.now());
    profile.traits = next.traits;
    profile.traitTimestamps = next.timestamps;
    const known = new Set(existing.map((i) => `${i.type}\u0000${i.value}`));
    for (const { type, value } of identities) {
      if (known.has(`${type}\u0000${value}`)) continue;
      this.em.create(Identity, { tenantId: this.tenantId, type, value, profile });
    }
    await this.em.flush();
    // owed a segment evaluation before its job is queued: a lost job is swept (sweep-profiles)
    await this.em.getRepository(Profile).markSegmentsPending(this.tenantId, [profile.id], new Date());
    await this.em.populate(profile, ['identities']);
    return profile;
  }
}

function dedupeIdentities(list: { type: IdentityType; value: string }[], junkValues: readonly string[]) {
  const seen = new Map<string, { type: IdentityType; value: string }>();
  for (const { type, value } of list) {
    const normalized = normalizeIdentity(type, value, junkValues);
    if (normalized !== null) seen.set(`${type}\u0000${normalized}`, { type, value: normalized });
  }
  return [...seen.values()];
}

const CURSOR_PREFIX = 'profile:';

/** Opaque to clients: base64url of the last id of a page. */
export function encodeCursor(id: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  if (!isUuid(id)) throw new AppError('BAD_USER_INPUT', 'invalid cursor: pass the endCursor of a previous page');
  return id;
}

/** `traits` equality filter → a JSON-property condition MikroORM renders for SQLite and PostgreSQL. */
function traitConditions(traits: Record<string, unknown>): Record<string, string | number | boolean> {
  const entries = Object.entries(traits);
  if (entries.length > MAX_TRAIT_FILTERS) {
    throw new AppError('BAD_USER_INPUT', `filter.traits: at most ${MAX_TRAIT_FILTERS} keys`);
  }
  const conditions: Record<string, string | number | boolean> = {};
  for (const [key, value] of entries) {
    if (!TRAIT_KEY.test(key)) {
      throw new AppError('BAD_USER_INPUT', `filter.traits: key ${JSON.stringify(key)} must be a plain identifier`);
    }
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      throw new AppError('BAD_USER_INPUT', `filter.traits.${key}: only string, number and boolean values can be compared`);
    }
    conditions[key] = value as string | number | boolean;
  }
  return conditions;
}
