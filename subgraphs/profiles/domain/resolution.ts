import { normalizeIdentity, type IdentityKind } from './identity';

/** One identifier in canonical form: what an `Identity` row stores (`kind` = its `type`). */
export interface IdentityKey {
  kind: IdentityKind;
  value: string;
}

/**
 * An identifier an event claims for its profile. `alsoMatches` lists other kinds the same value
 * may already be stored under: an alias `previousId` is an anonymous id or an earlier user id
 * (Segment's spec allows either). When nothing matches, the claim is created as `kind`.
 */
export interface IdentityClaim extends IdentityKey {
  alsoMatches?: IdentityKind[];
}

/** The identity-bearing fields of an event, as the resolve job carries them. */
export interface EventIdentityFields {
  /** Segment event type. */
  type: string;
  userId: string | null;
  anonymousId: string | null;
  /** `alias` only. */
  previousId: string | null;
  traits: Record<string, unknown>;
  externalIds: { id: string; type: string }[];
}

/**
 * The identifiers an event claims, junk removed, duplicates dropped, highest priority first:
 * `userId` > `email` > `anonymousId` > `phone` > `context.externalIds` > alias `previousId`.
 * Email and phone come from `traits` except on `group` events, whose traits describe the
 * account (Segment's group spec has its own `email`/`phone`). An external id becomes the value
 * `<type>:<id>` (type lower-cased) so ids of different systems never collide.
 */
export function extractIdentityClaims(event: EventIdentityFields, extraJunk: readonly string[] = []): IdentityClaim[] {
  const claims: IdentityClaim[] = [];
  const seen = new Set<string>();
  const add = (kind: IdentityKind, raw: unknown, alsoMatches: IdentityKind[] = []) => {
    const text = asIdentifier(raw);
    if (text === null) return;
    const value = normalizeIdentity(kind, text, extraJunk);
    if (value === null) return;
    const keys = [kind, ...alsoMatches].map((k) => keyOf({ kind: k, value }));
    // a value already claimed under any of these kinds is the same identity (e.g. alias(u, u))
    if (keys.some((k) => seen.has(k))) return;
    keys.forEach((k) => seen.add(k));
    claims.push(alsoMatches.length ? { kind, value, alsoMatches } : { kind, value });
  };

  add('user_id', event.userId);
  const fromTraits = event.type !== 'group';
  if (fromTraits) add('email', event.traits.email);
  add('anonymous_id', event.anonymousId);
  if (fromTraits) add('phone', event.traits.phone);
  for (const ext of event.externalIds) {
    const type = asIdentifier(ext?.type)?.trim().toLowerCase();
    const id = asIdentifier(ext?.id);
    if (!type || id === null) continue;
    const value = normalizeIdentity('external', id, extraJunk);
    if (value !== null) add('external', `${type}:${value}`);
  }
  if (event.type === 'alias') add('anonymous_id', event.previousId, ['user_id']);
  return claims;
}

/** An identity of the event that is already stored, and the profile holding it. */
export interface MatchedIdentity extends IdentityKey {
  profileId: string;
}

/** A profile some claim matched: what the merge rules need to know about it. */
export interface CandidateProfile {
  id: string;
  createdAt: Date;
  /** Every `user_id` identity the profile holds (normally zero or one). */
  userIds: string[];
}

/** What to do with an event, decided from its claims and what is stored. */
export type ResolutionPlan =
  | { action: 'create'; newIdentities: IdentityKey[]; skipped: IdentityKey[] }
  | { action: 'attach'; profileId: string; newIdentities: IdentityKey[]; skipped: IdentityKey[] }
  | { action: 'merge'; survivorId: string; mergedIds: string[]; newIdentities: IdentityKey[]; skipped: IdentityKey[] };

/**
 * Decides which profile an event belongs to.
 *
 * Claims are visited in priority order; each matched profile joins the event's group unless that
 * would put two different user ids together (two user ids never merge: such a profile keeps its
 * identities and the event does not touch it; its claims are reported as `skipped`). When the
 * event has a `userId`, it seeds the group, so the event always lands with its own user.
 * Unmatched claims become new identities of the result. Group of 0 → `create`; 1 → `attach`;
 * more → `merge` into the survivor: the profile holding a user id, else the oldest
 * (`createdAt`, then id, which is a time-ordered uuidv7).
 *
 * Returns `null` when the event claims nothing (every identifier was junk).
 * Throws `RangeError` when a match names a profile missing from `profiles`.
 */
export function planResolution(
  claims: IdentityClaim[],
  matches: MatchedIdentity[],
  profiles: CandidateProfile[],
): ResolutionPlan | null {
  if (claims.length === 0) return null;
  const ownerByKey = new Map(matches.map((m) => [keyOf(m), m.profileId]));
  const profileById = new Map(profiles.map((p) => [p.id, p]));
  const ownerOf = (claim: IdentityClaim): string | null => {
    for (const kind of [claim.kind, ...(claim.alsoMatches ?? [])]) {
      const owner = ownerByKey.get(keyOf({ kind, value: claim.value }));
      if (owner) return owner;
    }
    return null;
  };

  const eventUserId = claims.find((c) => c.kind === 'user_id')?.value ?? null;
  let groupUsers = new Set<string>(eventUserId === null ? [] : [eventUserId]);
  const group: CandidateProfile[] = [];
  const excluded = new Set<string>();
  for (const claim of claims) {
    const owner = ownerOf(claim);
    if (owner === null || excluded.has(owner) || group.some((p) => p.id === owner)) continue;
    const profile = profileById.get(owner);
    if (!profile) {
      throw new RangeError(`planResolution: matched profile ${owner} is missing from profiles (value=${claim.value})`);
    }
    const users = new Set([...groupUsers, ...profile.userIds]);
    if (users.size <= 1) {
      group.push(profile);
      groupUsers = users;
    } else {
      excluded.add(owner);
    }
  }

  const newIdentities: IdentityKey[] = [];
  const skipped: IdentityKey[] = [];
  for (const claim of claims) {
    const owner = ownerOf(claim);
    const key = { kind: claim.kind, value: claim.value };
    if (owner === null) newIdentities.push(key);
    else if (excluded.has(owner)) skipped.push(key);
  }

  if (group.length === 0) return { action: 'create', newIdentities, skipped };
  const survivor = group.find((p) => p.userIds.length > 0) ?? [...group].sort(byAge)[0];
  if (group.length === 1) return { action: 'attach', profileId: survivor.id, newIdentities, skipped };
  const mergedIds = group.filter((p) => p.id !== survivor.id).map((p) => p.id);
  return { action: 'merge', survivorId: survivor.id, mergedIds, newIdentities, skipped };
}

/** Every stored form an event's claims may have, to look them up in one query. */
export function lookupKeys(claims: IdentityClaim[]): IdentityKey[] {
  return claims.flatMap((c) => [c.kind, ...(c.alsoMatches ?? [])].map((kind) => ({ kind, value: c.value })));
}

function byAge(a: CandidateProfile, b: CandidateProfile): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

function keyOf(key: IdentityKey): string {
  return `${key.kind}\u0000${key.value}`;
}

/** SDKs send ids as strings, some as numbers; anything else is not an identifier. */
function asIdentifier(raw: unknown): string | null {
  if (typeof raw === 'string') return raw;
  if (typeof raw === 'number' && Number.isFinite(raw)) return String(raw);
  return null;
}
