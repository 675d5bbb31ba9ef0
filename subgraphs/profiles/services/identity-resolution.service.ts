import { LockMode, UniqueConstraintViolationException } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import type { EventToResolve } from '../../common/queues';
import { eventRevenue, mergePushedNamespaces } from '../domain/computed-traits';
import {
  extractIdentityClaims,
  lookupKeys,
  planResolution,
  type IdentityClaim,
  type ResolutionPlan,
} from '../domain/resolution';
import { applyTraits, mergeTimedTraits } from '../domain/traits';
import { AccountGroup } from '../entities/account-group.entity';
import { GroupMembership } from '../entities/group-membership.entity';
import { Identity, IdentityType } from '../entities/identity.entity';
import { Profile } from '../entities/profile.entity';
import { ProfileEvent } from '../entities/profile-event.entity';
import { ProfileMerge, type MergeReason } from '../entities/profile-merge.entity';
import { ComputedTraitsService } from './computed-traits.service';

export interface IdentityResolutionEnv {
  /** Identifier values treated as junk besides the built-in list (Config.identity.junkValues). */
  junkValues: readonly string[];
  /** Processing time: the end of the computed-trait windows and the merge time. */
  now?: () => Date;
}

/** Where an event landed. */
export interface ResolveOutcome {
  profileId: string;
  /** Profiles merged into `profileId` because of this event (by this run or an earlier one). */
  mergedIds: string[];
  /** False when the event had been recorded already: a replay, which changed nothing. */
  recorded: boolean;
  action: ResolutionPlan['action'] | 'replay';
}

/** Two concurrent jobs touched the same profiles; the transaction is retried from the start. */
class ResolutionRace extends Error {}

/** Attempts of one resolution before the error goes back to BullMQ (which retries with backoff). */
const MAX_ATTEMPTS = 4;

/**
 * Maps one event to its profile: finds or creates it, merges profiles the event links, adds new
 * identities, applies identify/group traits, records the event and recomputes computed traits,
 * all in one transaction, so the event is either fully applied or not at all.
 */
export class IdentityResolutionService {
  private readonly now: () => Date;

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly env: IdentityResolutionEnv,
  ) {
    this.now = env.now ?? (() => new Date());
  }

  /** Returns null when the event has no usable identity (all junk). Safe to run twice. */
  async resolve(event: EventToResolve): Promise<ResolveOutcome | null> {
    const claims = extractIdentityClaims(event, this.env.junkValues);
    if (claims.length === 0) return null;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.em.transactional((em) => this.resolveIn(em, event, claims));
      } catch (err) {
        // a concurrent job created one of these identities (or moved them) first: start over
        const raced = err instanceof UniqueConstraintViolationException || err instanceof ResolutionRace;
        if (!raced || attempt >= MAX_ATTEMPTS) throw err;
        this.em.clear();
      }
    }
  }

  private async resolveIn(em: EntityManager, event: EventToResolve, claims: IdentityClaim[]): Promise<ResolveOutcome> {
    const tenantId = this.tenantId;
    // the event row commits with everything else the event changed: if it exists, all is done
    // (read outside the identity map, so a replay writes nothing at commit)
    const recorded = await em.findOne(ProfileEvent, { tenantId, eventId: event.eventId }, { disableIdentityMap: true });
    if (recorded) {
      const merges = await em.find(
        ProfileMerge,
        { tenantId, eventId: event.eventId },
        { orderBy: { mergedAt: 'asc', id: 'asc' }, disableIdentityMap: true },
      );
      return { profileId: recorded.profileId, mergedIds: merges.map((m) => m.mergedProfileId), recorded: false, action: 'replay' };
    }

    const { plan, profiles } = await this.plan(em, claims);
    const now = this.now();
    let profile: Profile;
    let mergedIds: string[] = [];
    switch (plan.action) {
      case 'create':
        profile = em.create(Profile, { tenantId });
        break;
      case 'attach':
        profile = profiles.get(plan.profileId)!;
        break;
      case 'merge':
        profile = await this.merge(em, plan, profiles, event, now);
        mergedIds = plan.mergedIds;
        break;
      default:
        return assertNever(plan);
    }
    for (const { kind, value } of plan.newIdentities) {
      em.create(Identity, { tenantId, type: kind as IdentityType, value, profile });
    }

    const at = Date.parse(event.timestamp);
    if (event.type === 'identify') {
      const next = applyTraits({ traits: profile.traits, timestamps: profile.traitTimestamps }, event.traits, at);
      if (next.changed.length) {
        profile.traits = next.traits;
        profile.traitTimestamps = next.timestamps;
      }
    }
    await em.flush();
    if (event.type === 'group' && event.groupId) await this.applyGroup(em, profile.id, event.groupId, event.traits, at);

    em.create(ProfileEvent, {
      tenantId,
      profileId: profile.id,
      eventId: event.eventId,
      type: event.type,
      name: event.name ? event.name.slice(0, 255) : null,
      timestamp: new Date(at),
      revenue: eventRevenue(event.type, event.name, event.properties),
    });
    await em.flush();
    await new ComputedTraitsService(em, tenantId).recompute([profile], now);
    await em.flush();
    // the evaluate-segments hand-off, recoverable from SQL should its job be lost
    await em.getRepository(Profile).markSegmentsPending(tenantId, [profile.id], now);
    return { profileId: profile.id, mergedIds, recorded: true, action: plan.action };
  }

  /**
   * Looks the claims up, locks the profiles they point at (PostgreSQL `FOR UPDATE`; SQLite
   * serialises writers anyway) and plans. Identities are read again after the lock: a job that
   * merged one of these profiles meanwhile would have moved them, and then we start over.
   */
  private async plan(em: EntityManager, claims: IdentityClaim[]) {
    const tenantId = this.tenantId;
    const where = { tenantId, $or: lookupKeys(claims).map(({ kind, value }) => ({ type: kind as IdentityType, value })) };
    const ownersOf = (ids: Identity[]) => [...new Set(ids.map((i) => i.profile.id))].sort();

    // a first look outside the identity map, only to know which profiles to lock
    const owners = ownersOf(await em.find(Identity, where, { disableIdentityMap: true }));
    const locked = owners.length
      ? await em.find(Profile, { tenantId, id: { $in: owners } }, { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' } })
      : [];
    const matches = owners.length ? await em.find(Identity, where) : [];
    if (locked.length !== owners.length || ownersOf(matches).join() !== owners.join()) throw new ResolutionRace();

    const userIds = owners.length
      ? await em.find(Identity, { tenantId, type: IdentityType.USER_ID, profile: { $in: owners } })
      : [];
    const plan = planResolution(
      claims,
      matches.map((m) => ({ kind: m.type, value: m.value, profileId: m.profile.id })),
      locked.map((p) => ({
        id: p.id,
        createdAt: p.createdAt,
        userIds: userIds.filter((u) => u.profile.id === p.id).map((u) => u.value),
      })),
    );
    // claims is never empty here, so planResolution always returns a plan
    return { plan: plan!, profiles: new Map(locked.map((p) => [p.id, p])) };
  }

  /**
   * Moves everything the merged profiles own to the survivor (identities, event log, group
   * links), merges their traits by trait time, writes the audit/forwarding rows and deletes the
   * merged profiles. Set-based updates, so a merge costs a few statements whatever the history.
   */
  private async merge(
    em: EntityManager,
    plan: Extract<ResolutionPlan, { action: 'merge' }>,
    profiles: Map<string, Profile>,
    event: EventToResolve,
    now: Date,
  ): Promise<Profile> {
    const tenantId = this.tenantId;
    const survivorId = plan.survivorId;
    const before = profiles.get(survivorId)!;
    const reason: MergeReason = event.type === 'alias' ? 'alias' : 'shared_identity';
    let timed = { traits: before.traits, timestamps: before.traitTimestamps };
    let computed = before.computedTraits;
    const mergedFrom = new Set(before.mergedFrom);
    for (const id of plan.mergedIds) {
      const merged = profiles.get(id)!;
      timed = mergeTimedTraits(timed, { traits: merged.traits, timestamps: merged.traitTimestamps });
      computed = mergePushedNamespaces(computed, merged.computedTraits);
      [id, ...merged.mergedFrom].forEach((m) => mergedFrom.add(m));

      await em.nativeUpdate(Identity, { tenantId, profile: id }, { profile: survivorId, updatedAt: now });
      await em.nativeUpdate(ProfileEvent, { tenantId, profileId: id }, { profileId: survivorId, updatedAt: now });
      const survivorGroups = await em.find(GroupMembership, { tenantId, profileId: survivorId }, { disableIdentityMap: true });
      // a group both profiles belong to keeps the survivor's link (the pair is unique)
      await em.nativeDelete(GroupMembership, { tenantId, profileId: id, groupId: { $in: survivorGroups.map((g) => g.groupId) } });
      await em.nativeUpdate(GroupMembership, { tenantId, profileId: id }, { profileId: survivorId, updatedAt: now });
      await em.insert(
        ProfileMerge,
        em.create(ProfileMerge, { tenantId, mergedProfileId: id, survivorProfileId: survivorId, reason, eventId: event.eventId, mergedAt: now }, { persist: false }),
      );
      await em.nativeDelete(Profile, { tenantId, id });
    }
    // the loaded identities and profiles describe rows that moved or are gone: start a clean
    // identity map (the survivor's row lock is held by the transaction, not by the entity)
    em.clear();
    const survivor = await em.findOneOrFail(Profile, { tenantId, id: survivorId });
    survivor.traits = timed.traits;
    survivor.traitTimestamps = timed.timestamps;
    survivor.computedTraits = computed;
    survivor.mergedFrom = [...mergedFrom];
    return survivor;
  }

  /** `group`: the account's traits (last-write-wins by event time) and the profile's link to it. */
  private async applyGroup(em: EntityManager, profileId: string, groupId: string, traits: Record<string, unknown>, at: number) {
    const tenantId = this.tenantId;
    const id = groupId.slice(0, 255);
    let group = await em.findOne(AccountGroup, { tenantId, groupId: id }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    group ??= em.create(AccountGroup, { tenantId, groupId: id });
    const next = applyTraits({ traits: group.traits, timestamps: group.traitTimestamps }, traits, at);
    if (next.changed.length) {
      group.traits = next.traits;
      group.traitTimestamps = next.timestamps;
    }
    const linked = await em.findOne(GroupMembership, { tenantId, profileId, groupId: id });
    if (!linked) em.create(GroupMembership, { tenantId, profileId, groupId: id });
    await em.flush();
  }
}

function assertNever(value: never): never {
  throw new Error(`unexpected resolution plan ${JSON.stringify(value)}`);
}
