import { uuidv7 } from 'uuidv7';

import type { EntityManager } from '../../common/orm';
import type { EventToResolve } from '../../common/queues';
import { chunkGroups, planBatch, type BatchPlan, type GroupPlan, type TraitUpdate } from '../domain/batch-resolution';
import { eventRevenue, shapeComputedTraits, withBuiltinComputedTraits } from '../domain/computed-traits';
import type { EventLanding } from '../domain/follow-ups';
import { extractIdentityClaims, lookupKeys } from '../domain/resolution';
import { applyTraitUpdates } from '../domain/traits';
import { Identity } from '../entities/identity.entity';
import { Profile } from '../entities/profile.entity';
import { ProfileEvent } from '../entities/profile-event.entity';
import { ProfileMerge } from '../entities/profile-merge.entity';
import type { ProfileState } from '../entities/profile.repository';
import type { ResolveOutcome } from './identity-resolution.service';

export interface BatchResolutionEnv {
  /** Identifier values treated as junk besides the built-in list (Config.identity.junkValues). */
  junkValues: readonly string[];
  /** Processing time: creation time of new profiles and the end of the computed-trait windows. */
  now?: () => Date;
  /** Most events written in one transaction (default `CHUNK_EVENTS`). */
  chunkEvents?: number;
}

/**
 * Most events of one chunk transaction. A chunk costs seven statements whatever its size; its CPU
 * grows with its rows (measured ~1 ms per event on SQLite on a loaded 2-core box, mostly building
 * the multi-row inserts), so 50 events hold the event loop for about the ~50 ms allowed.
 */
export const CHUNK_EVENTS = 50;

/** What the batch did, and what it left to the per-event locked path. */
export interface BatchResult {
  /** Per event of the job: where it landed (null: no usable identity); undefined: left to the locked path. */
  outcomes: (ResolveOutcome | null | undefined)[];
  /** Customer groups (event indices, job order) to resolve event by event with row locks. */
  locked: number[][];
  /** Chunks that could not be written set-based, and why (`raced`: a concurrent writer got there first). */
  fallbacks: { events: number; raced: boolean; err: unknown }[];
}

/** A concurrent writer changed what the chunk was planned on; its customers take the locked path. */
class BatchRace extends Error {}

/**
 * Resolves a resolve job's events set-based (see `planBatch`): one read of the identities the
 * events name, one of their profiles (and one of those profiles' user ids), one of the events
 * recorded already; then, per chunk of customers, one transaction that inserts the new profiles,
 * identities and event rows, and writes each touched profile once (traits last-write-wins,
 * computed traits from one grouped aggregate). Merges and `group` calls are left to the locked
 * per-event path (`IdentityResolutionService`), as is a chunk a concurrent writer got to first.
 */
export class BatchResolutionService {
  private readonly now: () => Date;

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly env: BatchResolutionEnv,
  ) {
    this.now = env.now ?? (() => new Date());
  }

  async resolve(events: readonly EventToResolve[]): Promise<BatchResult> {
    const now = this.now();
    const plan = planBatch(events, await this.read(events), { junkValues: this.env.junkValues, newId: uuidv7, now });
    const outcomes: BatchResult['outcomes'] = plan.events.map((r) => {
      if (r.path === 'replay') return { ...r.landing, recorded: false, action: 'replay' };
      return r.path === 'none' ? null : undefined;
    });
    const locked = plan.groups.filter((g) => g.path === 'locked').map((g) => g.events);
    const fallbacks: BatchResult['fallbacks'] = [];
    const writable = plan.groups.filter((g) => g.path === 'batch' && g.events.some((i) => plan.events[i].path === 'batch'));
    for (const [n, chunk] of chunkGroups(writable, this.env.chunkEvents ?? CHUNK_EVENTS).entries()) {
      // let the event loop breathe between chunk transactions (SQLite runs them on this thread)
      if (n > 0) await new Promise(setImmediate);
      try {
        await this.em.transactional((em) => this.writeChunk(em, chunk, events, plan, now));
      } catch (err) {
        // the per-event path handles races with its row locks, and isolates a failing event
        fallbacks.push({ events: chunk.reduce((sum, g) => sum + g.events.length, 0), raced: err instanceof BatchRace, err });
        locked.push(...chunk.map((g) => g.events));
        continue;
      }
      for (const i of chunk.flatMap((g) => g.events)) {
        const r = plan.events[i];
        if (r.path === 'batch') outcomes[i] = { profileId: r.profileId, mergedIds: [], recorded: true, action: r.action };
      }
    }
    return { outcomes, locked, fallbacks };
  }

  /** The batch's reads: identities named, their profiles and user ids, events recorded (with their merges). */
  private async read(events: readonly EventToResolve[]) {
    const { em, tenantId } = this;
    const keys = events.flatMap((e) => lookupKeys(extractIdentityClaims(e, this.env.junkValues)));
    const matched = await em.getRepository(Identity).ownersOf(tenantId, keys);
    const ownerIds = [...new Set(matched.map((m) => m.profileId))];
    const created = await em.getRepository(Profile).createdAtOf(tenantId, ownerIds);
    const userIds = await em.getRepository(Identity).userIdsOf(tenantId, ownerIds);
    const profiles = created.map((p) => ({ ...p, userIds: userIds.get(p.id) ?? [] }));
    // an identity whose profile was merged away between the two reads: the locked path sorts it out
    const present = new Set(profiles.map((p) => p.id));
    const landings = await em.getRepository(ProfileEvent).landingsOf(
      tenantId,
      events.map((e) => e.eventId),
    );
    const merges = landings.size ? await em.getRepository(ProfileMerge).mergedBy(tenantId, [...landings.keys()]) : new Map<string, string[]>();
    const recorded = new Map<string, EventLanding>([...landings].map(([eventId, profileId]) => [eventId, { profileId, mergedIds: merges.get(eventId) ?? [] }]));
    return { identities: matched.filter((m) => present.has(m.profileId)), profiles, recorded };
  }

  /** One chunk's writes, in one transaction: eight statements whatever the number of events (lock, profiles, identities and their read-back, events, aggregate, profile states, segment marker). */
  private async writeChunk(em: EntityManager, groups: GroupPlan[], events: readonly EventToResolve[], plan: BatchPlan, now: Date): Promise<void> {
    const tenantId = this.tenantId;
    const landed = groups.flatMap((g) => g.events).flatMap((i) => {
      const r = plan.events[i];
      return r.path === 'batch' ? [{ event: events[i], profileId: r.profileId }] : [];
    });
    const newIds = new Set(groups.flatMap((g) => g.newProfiles));
    const touched = [...new Set(landed.map((l) => l.profileId))];
    const existing = touched.filter((id) => !newIds.has(id));

    const profiles = em.getRepository(Profile);
    const stored = await profiles.lockStates(tenantId, existing);
    if (stored.size !== existing.length) throw new BatchRace('a profile of the chunk was merged away meanwhile');
    await profiles.insertNew(tenantId, [...newIds], now);
    const taken = await em.getRepository(Identity).insertOrKeep(tenantId, groups.flatMap((g) => g.newIdentities), now);
    if (taken.length) throw new BatchRace(`${taken.length} new identities were stored for other profiles meanwhile`);

    const eventLog = em.getRepository(ProfileEvent);
    await eventLog.insertOrIgnore(
      tenantId,
      landed.map(({ event, profileId }) => ({
        profileId,
        eventId: event.eventId,
        type: event.type,
        name: event.name ? event.name.slice(0, 255) : null,
        timestamp: new Date(Date.parse(event.timestamp)),
        revenue: eventRevenue(event.type, event.name, event.properties),
      })),
      now,
    );
    const aggregates = await eventLog.aggregatesOf(tenantId, touched, now);
    const updates = new Map<string, TraitUpdate[]>();
    for (const update of groups.flatMap((g) => g.traitUpdates)) updates.set(update.profileId, [...(updates.get(update.profileId) ?? []), update]);
    const states: ProfileState[] = touched.map((id) => {
      const before = stored.get(id) ?? { id, traits: {}, traitTimestamps: {}, computedTraits: {} };
      const timed = applyTraitUpdates(
        { traits: before.traits, timestamps: before.traitTimestamps },
        updates.get(id) ?? [],
      );
      const builtins = shapeComputedTraits(aggregates.get(id) ?? [], now);
      return { id, traits: timed.traits, traitTimestamps: timed.timestamps, computedTraits: withBuiltinComputedTraits(before.computedTraits, builtins) };
    });
    await profiles.writeStates(tenantId, states, now);
    // the evaluate-segments hand-off, recoverable from SQL should its job be lost
    await profiles.markSegmentsPending(tenantId, touched, now);
  }
}
