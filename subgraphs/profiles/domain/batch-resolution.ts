import type { EventLanding } from './follow-ups';
import { independentGroups } from './independent-groups';
import {
  extractIdentityClaims,
  lookupKeys,
  planResolution,
  type CandidateProfile,
  type EventIdentityFields,
  type IdentityKey,
  type MatchedIdentity,
} from './resolution';

/** An event of a resolve job, as far as the batch planner needs it. */
export interface BatchEvent extends EventIdentityFields {
  eventId: string;
  /** Event time (ISO): last-write-wins of traits compares it. */
  timestamp: string;
  /** `group`: the account id. */
  groupId?: string | null;
}

/** What the batch's three reads found: the identities the events name, their profiles, and events already recorded. */
export interface StoredState {
  identities: readonly MatchedIdentity[];
  profiles: readonly CandidateProfile[];
  /** Events recorded by an earlier run: where each landed and what it merged (a replay changes nothing). */
  recorded: ReadonlyMap<string, EventLanding>;
}

/** How one event of the batch is resolved. */
export type EventResolution =
  /** Recorded earlier: reported where it landed, nothing written. */
  | { path: 'replay'; landing: EventLanding }
  /** Every identifier was junk: processed unattributed. */
  | { path: 'none' }
  /** Written set-based with the rest of the batch. */
  | { path: 'batch'; profileId: string; action: 'create' | 'attach' }
  /** Its customer group goes through the per-event locked path (a merge or an account `group` call in it). */
  | { path: 'locked' };

/** One identify's traits, to apply last-write-wins to a profile. */
export interface TraitUpdate {
  profileId: string;
  traits: Record<string, unknown>;
  /** Event time, epoch ms. */
  at: number;
}

/** A new identity and the profile it points to. */
export interface NewIdentity extends IdentityKey {
  profileId: string;
}

/** The plan of one customer group (events sharing identifiers), the unit that chunks are made of. */
export interface GroupPlan {
  /** Event indices, in job order. */
  events: number[];
  /** `locked`: every event of the group goes through the per-event locked path, in order. */
  path: 'batch' | 'locked';
  /** Ids of the profiles this group creates (`batch` only, as every field below). */
  newProfiles: string[];
  newIdentities: NewIdentity[];
  /** Identify traits in job order; applied on top of the profile's stored traits at write time. */
  traitUpdates: TraitUpdate[];
}

export interface BatchPlan {
  /** Per event of the job, in job order. */
  events: EventResolution[];
  groups: GroupPlan[];
}

export interface BatchPlanEnv {
  /** Identifier values treated as junk besides the built-in list. */
  junkValues: readonly string[];
  /** Id of a new profile (a uuidv7 in production). */
  newId: () => string;
  /** Creation time of new profiles (the oldest profile survives a merge). */
  now: Date;
}

/**
 * Decides, for every event of a resolve job in order, the profile it lands on, from what one read
 * of the identities, profiles and recorded events found: the same rules as `planResolution` per
 * event, with the identities and profiles earlier events of the batch create already in view (an
 * `identify` links its device before the `track` that follows it). Customers that share no
 * identifier are planned apart (see `independentGroups`). A group in which an event would merge two
 * profiles, or calls `group`, is planned `locked` as a whole: those events take the per-event
 * locked path, in order, after the batch writes (so a merge sees what the batch wrote). Nothing a
 * locked group would have created is visible to the groups after it; they share no identifier.
 */
export function planBatch(events: readonly BatchEvent[], stored: StoredState, env: BatchPlanEnv): BatchPlan {
  const owners = new Map(stored.identities.map((m) => [keyOf(m), m.profileId]));
  const profiles = new Map(stored.profiles.map((p) => [p.id, p]));
  const resolutions: EventResolution[] = events.map(() => ({ path: 'none' }));
  const groups: GroupPlan[] = [];

  for (const indices of independentGroups(events, env.junkValues)) {
    // the group's own view: committed to the shared one only if the whole group stays in the batch
    const localOwners = new Map<string, string>();
    const localProfiles = new Map<string, CandidateProfile>();
    const ownerOf = (key: string) => localOwners.get(key) ?? owners.get(key);
    const profileOf = (id: string) => localProfiles.get(id) ?? profiles.get(id);
    const group: GroupPlan = { events: indices, path: 'batch', newProfiles: [], newIdentities: [], traitUpdates: [] };
    const planned: EventResolution[] = [];

    for (const i of indices) {
      const event = events[i];
      const landing = stored.recorded.get(event.eventId);
      if (landing) {
        planned.push({ path: 'replay', landing });
        continue;
      }
      const claims = extractIdentityClaims(event, env.junkValues);
      if (claims.length === 0) {
        planned.push({ path: 'none' });
        continue;
      }
      if (event.type === 'group' && event.groupId) {
        group.path = 'locked';
        break;
      }
      const matches: MatchedIdentity[] = lookupKeys(claims).flatMap((key) => {
        const profileId = ownerOf(keyOf(key));
        return profileId ? [{ ...key, profileId }] : [];
      });
      const candidates = [...new Set(matches.map((m) => m.profileId))].map((id) => profileOf(id)!);
      const plan = planResolution(claims, matches, candidates)!;
      if (plan.action === 'merge') {
        group.path = 'locked';
        break;
      }
      let profileId: string;
      if (plan.action === 'create') {
        profileId = env.newId();
        group.newProfiles.push(profileId);
        localProfiles.set(profileId, { id: profileId, createdAt: env.now, userIds: [] });
      } else {
        profileId = plan.profileId;
      }
      for (const key of plan.newIdentities) {
        group.newIdentities.push({ ...key, profileId });
        localOwners.set(keyOf(key), profileId);
        if (key.kind === 'user_id') {
          const profile = profileOf(profileId)!;
          localProfiles.set(profileId, { ...profile, userIds: [...profile.userIds, key.value] });
        }
      }
      if (event.type === 'identify') group.traitUpdates.push({ profileId, traits: event.traits, at: Date.parse(event.timestamp) });
      planned.push({ path: 'batch', profileId, action: plan.action });
    }

    if (group.path === 'locked') {
      for (const i of indices) resolutions[i] = { path: 'locked' };
      groups.push({ events: indices, path: 'locked', newProfiles: [], newIdentities: [], traitUpdates: [] });
      continue;
    }
    indices.forEach((i, n) => (resolutions[i] = planned[n]));
    localOwners.forEach((profileId, key) => owners.set(key, profileId));
    localProfiles.forEach((profile, id) => profiles.set(id, profile));
    groups.push(group);
  }
  return { events: resolutions, groups };
}

/**
 * Splits the groups into chunks of at most `maxEvents` events (a larger group is a chunk of its
 * own), keeping job order: each chunk is written in one short transaction.
 */
export function chunkGroups<G extends { events: readonly number[] }>(groups: readonly G[], maxEvents: number): G[][] {
  if (!(maxEvents >= 1)) throw new RangeError(`chunkGroups: maxEvents must be at least 1 (maxEvents=${maxEvents})`);
  const chunks: G[][] = [];
  let current: G[] = [];
  let size = 0;
  for (const group of groups) {
    if (current.length && size + group.events.length > maxEvents) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(group);
    size += group.events.length;
  }
  if (current.length) chunks.push(current);
  return chunks;
}

function keyOf(key: IdentityKey): string {
  return `${key.kind}\u0000${key.value}`;
}
