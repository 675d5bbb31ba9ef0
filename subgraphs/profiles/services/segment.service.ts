import { LockMode, raw, UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import DataLoader from 'dataloader';

import { AppError } from '../../common/errors';
import { isUuid } from '../../common/ids';
import type { Logger } from '../../common/logger';
import type { EntityManager } from '../../common/orm';
import { SEGMENT_MEMBERSHIP_CHANGED as MEMBERSHIP_TOPIC, type FsPubSub, type SegmentMembershipChangedEvent } from '../../common/pubsub';
import {
  EVALUATE_SEGMENT_PAGE,
  SEGMENT_MEMBERSHIP_CHANGED,
  RECORD_ACTIVITY,
  type EvaluateSegmentPageJob,
  type Queues,
} from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { DAY_MS, windowKey, type EventWindow, type SegmentCondition } from '../domain/segments/condition';
import { evaluateSegment, type SegmentFacts } from '../domain/segments/evaluate-condition';
import {
  isTimeBased,
  notSeenWindows,
  requiredEventWindows,
  timeEdgeRanges,
  usesIdentities,
  type TimeEdgeRange,
} from '../domain/segments/requirements';
import { parseSegmentCondition, SegmentConditionError } from '../domain/segments/validate-condition';
import { Identity } from '../entities/identity.entity';
import { Profile } from '../entities/profile.entity';
import { ProfileEvent } from '../entities/profile-event.entity';
import { ProfileMerge } from '../entities/profile-merge.entity';
import { SegmentMembership } from '../entities/segment-membership.entity';
import { Segment } from '../entities/segment.entity';

/** Profiles evaluated per transaction by the backfill and the re-check (each page is one job). */
export const SEGMENT_PAGE_SIZE = 200;

export interface SegmentServiceEnv {
  pubSub: FsPubSub;
  queues: Queues;
  log: Logger;
}

export interface SegmentInput {
  name: string;
  description?: string | null;
  /** Untrusted JSON; validated by `parseSegmentCondition`. */
  condition: unknown;
}

export type SegmentPatch = Partial<SegmentInput>;

/** One page of a segment's current members, oldest entry first, in the shape of `SegmentMemberConnection`. */
export interface SegmentMembersPage {
  edges: { cursor: string; node: SegmentMembership }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  memberCount: number;
}

/** What the evaluation needs of a segment; plain data, so it crosses entity managers freely. */
interface SegmentDef {
  id: string;
  name: string;
  condition: SegmentCondition;
}

/** A profile's membership changes from one evaluation. */
export interface MembershipChanges {
  entered: number;
  exited: number;
}

/**
 * Segments of one tenant: definitions, reads of membership, and the one evaluation every path
 * shares (a profile changed, time passed, a segment was created or changed).
 */
export class SegmentService {
  private readonly memberCountLoader: DataLoader<string, number>;
  private readonly currentLoader: DataLoader<string, SegmentMembership[]>;

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly env: SegmentServiceEnv,
  ) {
    this.memberCountLoader = new DataLoader(async (segmentIds) => {
      const rows = (await this.em
        .createQueryBuilder(SegmentMembership, 'm')
        .select(['m.segment_id', raw('count(*) as ??', ['cnt'])])
        .where({ tenantId: this.tenantId, segment: { $in: [...segmentIds] }, current: true })
        .groupBy('m.segment_id')
        .execute('all', false)) as { segment_id: string; cnt: number | string }[];
      const counts = new Map(rows.map((r) => [String(r.segment_id), Number(r.cnt)]));
      return segmentIds.map((id) => counts.get(id) ?? 0);
    });
    this.currentLoader = new DataLoader(async (profileIds) => {
      const valid = profileIds.filter(isUuid);
      const rows = valid.length
        ? await this.em.find(
            SegmentMembership,
            { tenantId: this.tenantId, profileId: { $in: valid }, current: true },
            { populate: ['segment'], orderBy: { enteredAt: 'asc', id: 'asc' } },
          )
        : [];
      return profileIds.map((id) => rows.filter((m) => m.profileId === id));
    });
  }

  // ---- reads -------------------------------------------------------------------------------

  byId(id: string): Promise<Segment | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.em.findOne(Segment, { tenantId: this.tenantId, id });
  }

  list(): Promise<Segment[]> {
    return this.em.find(Segment, { tenantId: this.tenantId }, { orderBy: { name: 'asc' } });
  }

  /** Profiles currently in the segment (batched across the segments of one response). */
  memberCount(segmentId: string): Promise<number> {
    return this.memberCountLoader.load(segmentId);
  }

  /** The segments a profile is in now, oldest entry first (batched across profiles). */
  currentMembershipsOf(profileId: string): Promise<SegmentMembership[]> {
    return this.currentLoader.load(profileId);
  }

  /** The segment of a membership row (loaded once per request by the ORM's dataloader). */
  segmentOf(membership: SegmentMembership): Promise<Segment> {
    return membership.segment.loadOrFail();
  }

  /** Current members after the opaque cursor `after`, oldest entry first. */
  async members(segmentId: string, page: { first: number; after?: string | null }): Promise<SegmentMembersPage> {
    const segment = await this.byId(segmentId);
    if (!segment) throw new AppError('NOT_FOUND', `segment ${segmentId} not found`);
    const afterId = page.after ? decodeCursor(page.after) : null;
    const rows = await this.em.find(
      SegmentMembership,
      { tenantId: this.tenantId, segment: segment.id, current: true, ...(afterId ? { id: { $gt: afterId } } : {}) },
      { orderBy: { id: 'asc' }, limit: page.first + 1 },
    );
    const edges = rows.slice(0, page.first).map((node) => ({ cursor: encodeCursor(node.id), node }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > page.first, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
      memberCount: await this.memberCount(segment.id),
    };
  }

  /**
   * A profile for a subscription event, read on a fresh identity map: a subscription's context
   * lives as long as the subscription, and its cached rows would go stale.
   */
  profileForEvent(profileId: string): Promise<Profile | null> {
    return this.em.fork().findOne(Profile, { tenantId: this.tenantId, id: profileId });
  }

  // ---- definitions ---------------------------------------------------------------------------

  /** Stores a segment and queues its evaluation over every existing profile (in pages). */
  async create(input: SegmentInput, now = new Date()): Promise<Segment> {
    const condition = validCondition(input.condition);
    await this.assertNameFree(input.name);
    const segment = this.em.create(Segment, {
      tenantId: this.tenantId,
      name: input.name,
      description: input.description ?? null,
      condition,
      timeBased: isTimeBased(condition),
      checkedThrough: now,
    });
    await this.flushNamed(input.name);
    await this.queueBackfill(segment);
    this.env.log.info({ tenantId: this.tenantId, segmentId: segment.id }, 'segment created');
    return segment;
  }

  /**
   * Changes name, description and/or condition; `version` goes up by one. A new condition is
   * evaluated over every existing profile in the background; until then members reflect the old one.
   */
  async update(id: string, patch: SegmentPatch, now = new Date()): Promise<Segment> {
    const segment = await this.byId(id);
    if (!segment) throw new AppError('NOT_FOUND', `segment ${id} not found`);
    const condition = patch.condition === undefined ? null : validCondition(patch.condition);
    if (patch.name !== undefined && patch.name !== segment.name) {
      await this.assertNameFree(patch.name);
      segment.name = patch.name;
    }
    if (patch.description !== undefined) segment.description = patch.description;
    let conditionChanged = false;
    if (condition !== null && JSON.stringify(condition) !== JSON.stringify(segment.condition)) {
      conditionChanged = true;
      segment.condition = condition;
      segment.timeBased = isTimeBased(condition);
      segment.checkedThrough = now;
    }
    segment.version += 1;
    await this.flushNamed(segment.name);
    if (conditionChanged) await this.queueBackfill(segment);
    return segment;
  }

  /** Deletes a segment with its membership history. No exits are announced. Returns the id. */
  async delete(id: string): Promise<string> {
    const segment = await this.byId(id);
    if (!segment) throw new AppError('NOT_FOUND', `segment ${id} not found`);
    await this.em.transactional(async (em) => {
      await em.nativeDelete(SegmentMembership, { tenantId: this.tenantId, segment: segment.id });
      await em.nativeDelete(Segment, { tenantId: this.tenantId, id: segment.id });
    });
    this.em.getUnitOfWork().unsetIdentity(segment);
    return segment.id;
  }

  // ---- evaluation ----------------------------------------------------------------------------

  /**
   * Re-evaluates every segment of the tenant for one profile (after the profile changed). A
   * merged-away profile is followed to its survivor, and leaves every segment it was in.
   */
  async evaluateProfile(profileId: string, now = new Date()): Promise<MembershipChanges> {
    const segments = await this.em.find(Segment, { tenantId: this.tenantId }, { orderBy: { id: 'asc' } });
    return this.evaluate([profileId], segments.map(toDef), now);
  }

  /**
   * `evaluateProfile` for many profiles (a batch stage's): the segments read once, then one
   * transaction per `chunk` profiles, with a yield between chunks so SQLite's event loop (which
   * runs the transactions) is never held long. Returns the changes of all chunks together.
   */
  async evaluateProfiles(profileIds: readonly string[], now = new Date(), chunk = 100): Promise<MembershipChanges> {
    const ids = [...new Set(profileIds)];
    const segments = ids.length ? (await this.em.find(Segment, { tenantId: this.tenantId }, { orderBy: { id: 'asc' } })).map(toDef) : [];
    const total: MembershipChanges = { entered: 0, exited: 0 };
    for (let i = 0; i < ids.length && segments.length > 0; i += chunk) {
      if (i > 0) await new Promise(setImmediate);
      const changes = await this.evaluate(ids.slice(i, i + chunk), segments, now);
      total.entered += changes.entered;
      total.exited += changes.exited;
    }
    return total;
  }

  /**
   * One page of a backfill or re-check chain (see `EvaluateSegmentPageJob`); queues the next
   * page, or, at the end of a re-check, records how far the tenant's segments are checked.
   */
  async runPage(job: EvaluateSegmentPageJob, processingTime = new Date()): Promise<{ evaluated: number; next: string | null }> {
    if (job.kind === 'backfill') {
      const segment = await this.em.findOne(Segment, { tenantId: this.tenantId, id: job.segmentId });
      // gone, or changed again: the newer version's own backfill takes over
      if (!segment || segment.version !== job.version) return { evaluated: 0, next: null };
      const ids = await this.profileIdsAfter(job.after);
      await this.evaluate(ids, [toDef(segment)], processingTime);
      const next = ids.length === SEGMENT_PAGE_SIZE ? ids[ids.length - 1] : null;
      if (next) {
        await this.queuePage({ ...job, after: next }, `${this.tenantId}-backfill-${segment.id}-v${segment.version}-${next}`);
      }
      return { evaluated: ids.length, next };
    }
    const now = new Date(job.now);
    // a segment whose condition changed after this tick is current past `now` already
    const segments = await this.em.find(
      Segment,
      { tenantId: this.tenantId, timeBased: true, $or: [{ checkedThrough: null }, { checkedThrough: { $lte: now } }] },
      { orderBy: { id: 'asc' } },
    );
    if (segments.length === 0) return { evaluated: 0, next: null };
    const { ids, next } = await this.recheckCandidates(segments, now, job.after);
    await this.evaluate(ids, segments.map(toDef), now);
    if (next) {
      await this.queuePage({ ...job, after: next }, `${this.tenantId}-recheck-${now.getTime()}-${next}`);
    } else {
      for (const segment of segments) {
        // a segment changed meanwhile keeps the check time its change set
        await this.em.nativeUpdate(
          Segment,
          { tenantId: this.tenantId, id: segment.id, version: segment.version, $or: [{ checkedThrough: null }, { checkedThrough: { $lt: now } }] },
          { checkedThrough: now },
        );
      }
    }
    return { evaluated: ids.length, next };
  }

  /**
   * The one evaluation: under a row lock on each profile (so two evaluations of one profile
   * never interleave), loads the facts the segments need, compares the result with current
   * membership, records entries and exits at `now`, commits, then announces them. Replaying it
   * changes nothing and re-announces only what a crash left unannounced.
   */
  private async evaluate(profileIds: string[], segments: SegmentDef[], now: Date): Promise<MembershipChanges> {
    const ids = [...new Set(profileIds)].filter(isUuid);
    // no segments means no memberships either
    if (ids.length === 0 || segments.length === 0) return { entered: 0, exited: 0 };
    const tenantId = this.tenantId;
    const touched = new Set<string>(ids);
    const changes = await this.em.transactional(async (em) => {
      const survivors = await em.getRepository(ProfileMerge).survivorsOf(tenantId, ids);
      const targets = [...new Set(survivors.values())].sort();
      targets.forEach((id) => touched.add(id));
      // ordered by id like every other profile lock, so two lockers cannot deadlock
      const profiles = await em.find(
        Profile,
        { tenantId, id: { $in: targets } },
        { lockMode: LockMode.PESSIMISTIC_WRITE, orderBy: { id: 'asc' }, refresh: true },
      );
      const live = new Set(profiles.map((p) => p.id));
      const gone = [...touched].filter((id) => !live.has(id));
      const facts = await this.loadFacts(em, profiles, segments, now);
      const scopes = [
        ...(live.size ? [{ profileId: { $in: [...live] }, segment: { $in: segments.map((s) => s.id) } }] : []),
        ...(gone.length ? [{ profileId: { $in: gone } }] : []),
      ];
      const current = await em.find(SegmentMembership, { tenantId, current: true, $or: scopes }, { refresh: true });
      const have = new Map(current.map((m) => [`${m.segment.id}/${m.profileId}`, m]));
      let entered = 0;
      let exited = 0;
      const exit = (m: SegmentMembership) => {
        // never before the entry, even when a re-check page runs at its (earlier) tick time
        m.exitedAt = now < m.enteredAt ? m.enteredAt : now;
        m.current = null;
        exited += 1;
      };
      for (const profile of profiles) {
        for (const segment of segments) {
          const member = have.get(`${segment.id}/${profile.id}`);
          const matches = evaluateSegment(segment.condition, facts.get(profile.id)!, now);
          if (matches && !member) {
            em.create(SegmentMembership, { tenantId, segment: segment.id, profileId: profile.id, enteredAt: now });
            entered += 1;
          } else if (!matches && member) {
            exit(member);
          }
        }
      }
      // a merged-away or deleted profile is in no segment any more
      current.filter((m) => !live.has(m.profileId)).forEach(exit);
      await em.flush();
      return { entered, exited };
    });
    await this.announce([...touched]);
    if (changes.entered || changes.exited) {
      this.env.log.debug({ tenantId, profiles: ids.length, ...changes }, 'segment membership changed');
    }
    return changes;
  }

  /** Traits, computed traits, identities, window counts and last activity, in a few queries for all profiles. */
  private async loadFacts(em: EntityManager, profiles: Profile[], segments: SegmentDef[], now: Date): Promise<Map<string, SegmentFacts>> {
    const ids = profiles.map((p) => p.id);
    const windows = uniqueWindows(segments.flatMap((s) => requiredEventWindows(s.condition)));
    const needsLastSeen = segments.some((s) => notSeenWindows(s.condition).length > 0);
    const needsIdentities = segments.some((s) => usesIdentities(s.condition));
    if (ids.length === 0) return new Map();
    const counts = windows.length ? await this.countWindows(em, ids, windows, now) : new Map<string, Record<string, number>>();
    const lastSeen = needsLastSeen ? await this.lastEventTimes(em, ids) : new Map<string, Date>();
    const identities = needsIdentities ? await em.find(Identity, { tenantId: this.tenantId, profile: { $in: ids } }) : [];
    const zero = Object.fromEntries(windows.map((w) => [windowKey(w), 0]));
    const facts = new Map<string, SegmentFacts>();
    for (const profile of profiles) {
      const byKind: Record<string, string[]> = {};
      for (const identity of identities) {
        if (identity.profile.id === profile.id) (byKind[identity.type] ??= []).push(identity.value);
      }
      facts.set(profile.id, {
        traits: profile.traits ?? {},
        computedTraits: profile.computedTraits ?? {},
        identities: byKind,
        eventCounts: { ...zero, ...counts.get(profile.id) },
        // before its first event a profile counts as last seen when it was created
        lastSeen: lastSeen.get(profile.id) ?? profile.createdAt,
      });
    }
    return facts;
  }

  /** `track` events per (name, window) and profile: one grouped query with a conditional sum per window. */
  private async countWindows(em: EntityManager, ids: string[], windows: EventWindow[], now: Date): Promise<Map<string, Record<string, number>>> {
    const platform = em.getPlatform();
    const since = (days: number) => new Date(now.getTime() - days * DAY_MS);
    const earliest = since(Math.max(...windows.map((w) => w.days)));
    // dates bound as the driver stores them: epoch ms on SQLite, timestamps on PostgreSQL
    const sums = windows.map((w, i) =>
      raw('sum(case when ?? = ? and ?? >= ? then 1 else 0 end) as ??', [
        'e.name',
        w.event,
        'e.timestamp',
        platform.processDateProperty(since(w.days)),
        `w${i}`,
      ]),
    );
    const rows = (await em
      .createQueryBuilder(ProfileEvent, 'e')
      .select(['e.profile_id', ...sums])
      .where({
        tenantId: this.tenantId,
        profileId: { $in: ids },
        type: 'track',
        name: { $in: [...new Set(windows.map((w) => w.event))] },
        timestamp: { $gte: earliest },
      })
      .groupBy('e.profile_id')
      .execute('all', false)) as Record<string, unknown>[];
    return new Map(
      rows.map((row) => [
        String(row.profile_id),
        // PostgreSQL returns bigint sums as strings
        Object.fromEntries(windows.map((w, i) => [windowKey(w), Number(row[`w${i}`] ?? 0)])),
      ]),
    );
  }

  /** Latest event time per profile (any event type). */
  private async lastEventTimes(em: EntityManager, ids: string[]): Promise<Map<string, Date>> {
    const rows = (await em
      .createQueryBuilder(ProfileEvent, 'e')
      .select(['e.profile_id', raw('max(??) as ??', ['e.timestamp', 'last_at'])])
      .where({ tenantId: this.tenantId, profileId: { $in: ids } })
      .groupBy('e.profile_id')
      .execute('all', false)) as Record<string, unknown>[];
    return new Map(rows.map((row) => [String(row.profile_id), toDate(row.last_at)]));
  }

  /**
   * The next page of profiles whose time leaves may have flipped since each segment's last check
   * (`timeEdgeRanges`): `track` events of a counted name that left a window, any activity (or a
   * creation) that crossed an inactivity threshold. A segment never checked makes it every profile.
   */
  private async recheckCandidates(segments: Segment[], now: Date, after: string | null): Promise<{ ids: string[]; next: string | null }> {
    if (segments.some((s) => s.checkedThrough === null)) {
      const ids = await this.profileIdsAfter(after);
      return { ids, next: ids.length === SEGMENT_PAGE_SIZE ? ids[ids.length - 1] : null };
    }
    const ranges = segments.flatMap((s) => timeEdgeRanges(s.condition, s.checkedThrough!, now));
    if (ranges.length === 0) return { ids: [], next: null };
    const span = (r: TimeEdgeRange) => ({ $gte: r.from, $lte: r.to });
    const fromEvents = (await this.em
      .createQueryBuilder(ProfileEvent, 'e')
      .select('e.profile_id', true)
      .where({
        tenantId: this.tenantId,
        ...(after ? { profileId: { $gt: after } } : {}),
        $or: ranges.map((r) => (r.event === null ? { timestamp: span(r) } : { type: 'track', name: r.event, timestamp: span(r) })),
      })
      .orderBy({ profileId: 'asc' })
      .limit(SEGMENT_PAGE_SIZE)
      .execute('all', false)) as { profile_id: string }[];
    const creations = ranges.filter((r) => r.event === null);
    const fromCreation = creations.length ? await this.profileIdsAfter(after, { $or: creations.map((r) => ({ createdAt: span(r) })) }) : [];
    // merge two id-ordered streams: every id below the page's last one is in one of them
    const merged = [...new Set([...fromEvents.map((r) => String(r.profile_id)), ...fromCreation])].sort();
    const ids = merged.slice(0, SEGMENT_PAGE_SIZE);
    const more = fromEvents.length === SEGMENT_PAGE_SIZE || fromCreation.length === SEGMENT_PAGE_SIZE || merged.length > SEGMENT_PAGE_SIZE;
    return { ids, next: more && ids.length ? ids[ids.length - 1] : null };
  }

  /** The next page of profile ids (raw rows: partially loaded entities would linger in the identity map). */
  private async profileIdsAfter(after: string | null, where: FilterQuery<Profile> = {}): Promise<string[]> {
    const rows = (await this.em
      .createQueryBuilder(Profile, 'p')
      .select('p.id')
      .where({ tenantId: this.tenantId, ...(after ? { id: { $gt: after } } : {}), ...(where as object) })
      .orderBy({ id: 'asc' })
      .limit(SEGMENT_PAGE_SIZE)
      .execute('all', false)) as { id: string }[];
    return rows.map((r) => String(r.id));
  }

  /**
   * Queues and publishes every entry/exit of these profiles not yet announced. Job ids are
   * `<tenantId>-<membershipId>-<change>`, so the durable queue never gets one twice; the live
   * pub/sub event goes out only from the evaluation that claims the row (a conditional UPDATE),
   * so two concurrent evaluations of one profile cannot both stream it. A crash between claim
   * and publish loses that live event, never the queued one.
   */
  private async announce(profileIds: string[]): Promise<void> {
    const em = this.em.fork();
    const pending = await em.find(
      SegmentMembership,
      {
        tenantId: this.tenantId,
        profileId: { $in: profileIds },
        $or: [{ entryAnnounced: false }, { exitedAt: { $ne: null }, exitAnnounced: false }],
      },
      { populate: ['segment'], orderBy: { id: 'asc' } },
    );
    if (pending.length === 0) return;
    const events: SegmentMembershipChangedEvent[] = [];
    for (const m of pending) {
      const base = { tenantId: this.tenantId, segmentId: m.segment.id, segmentName: m.segment.getEntity().name, profileId: m.profileId, membershipId: m.id };
      if (!m.entryAnnounced) events.push({ ...base, change: 'entered', at: m.enteredAt.toISOString() });
      if (m.exitedAt && !m.exitAnnounced) events.push({ ...base, change: 'exited', at: m.exitedAt.toISOString() });
    }
    await this.env.queues.get(SEGMENT_MEMBERSHIP_CHANGED).addBulk(
      events.map((event) => ({
        name: SEGMENT_MEMBERSHIP_CHANGED,
        data: event,
        opts: { jobId: `${this.tenantId}-${event.membershipId}-${event.change}` },
      })),
    );
    // the risk stage keeps its own copy of membership (riskChanged filters by segment)
    await this.env.queues.get(RECORD_ACTIVITY).addBulk(
      events.map((event) => ({
        name: RECORD_ACTIVITY,
        data: { kind: 'segment' as const, ...event },
        opts: { jobId: `${this.tenantId}-segment-${event.membershipId}-${event.change}` },
      })),
    );
    for (const event of events) {
      const claimed =
        event.change === 'entered'
          ? await em.nativeUpdate(SegmentMembership, { id: event.membershipId, entryAnnounced: false }, { entryAnnounced: true })
          : await em.nativeUpdate(SegmentMembership, { id: event.membershipId, exitAnnounced: false }, { exitAnnounced: true });
      if (claimed === 1) this.env.pubSub.publish(MEMBERSHIP_TOPIC, this.tenantId, event);
    }
  }

  private async queueBackfill(segment: Segment): Promise<void> {
    await this.queuePage(
      { kind: 'backfill', tenantId: this.tenantId, segmentId: segment.id, version: segment.version, after: null },
      `${this.tenantId}-backfill-${segment.id}-v${segment.version}-start`,
    );
  }

  private async queuePage(job: EvaluateSegmentPageJob, jobId: string): Promise<void> {
    await this.env.queues.get(EVALUATE_SEGMENT_PAGE).add(EVALUATE_SEGMENT_PAGE, job, { jobId });
  }

  private async assertNameFree(name: string): Promise<void> {
    const clash = await this.em.findOne(Segment, { tenantId: this.tenantId, name }, { fields: ['id'] });
    if (clash) throw new AppError('CONFLICT', `a segment named "${name}" already exists`, { segmentId: clash.id });
  }

  private async flushNamed(name: string): Promise<void> {
    try {
      await this.em.flush();
    } catch (err) {
      // a concurrent create took the name between the check and the insert
      if (err instanceof UniqueConstraintViolationException) {
        throw new AppError('CONFLICT', `a segment named "${name}" already exists`);
      }
      throw err;
    }
  }
}

/** Tenants that have at least one time-based segment: the ones the scheduled re-check visits. */
export async function tenantsWithTimeBasedSegments(em: EntityManager): Promise<string[]> {
  const rows = (await em
    .createQueryBuilder(Segment, 's')
    .select('s.tenant_id', true)
    .where({ timeBased: true })
    .execute('all', false)) as { tenant_id: string }[];
  return rows.map((r) => String(r.tenant_id)).sort();
}

/** A validated condition, or BAD_USER_INPUT naming where the tree is wrong. */
function validCondition(input: unknown): SegmentCondition {
  try {
    return parseSegmentCondition(input, 'condition');
  } catch (err) {
    if (err instanceof SegmentConditionError) {
      throw new AppError('BAD_USER_INPUT', `invalid segment condition: ${err.message}`, { conditionPath: err.path });
    }
    throw err;
  }
}

function toDef(segment: Segment): SegmentDef {
  return { id: segment.id, name: segment.name, condition: segment.condition };
}

function uniqueWindows(windows: EventWindow[]): EventWindow[] {
  return [...new Map(windows.map((w) => [windowKey(w), w])).values()];
}

const CURSOR_PREFIX = 'sm:';

function encodeCursor(membershipId: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${membershipId}`).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  if (!isUuid(id)) throw new AppError('BAD_USER_INPUT', 'invalid cursor', { argument: 'after' });
  return id;
}

/** A raw `datetime` aggregate: epoch ms on SQLite, a timestamp (string or Date) on PostgreSQL. */
function toDate(value: unknown): Date {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || typeof value === 'bigint') return new Date(Number(value));
  if (typeof value === 'string' && /^\d+$/.test(value)) return new Date(Number(value));
  const date = new Date(String(value));
  if (Number.isNaN(date.getTime())) throw new RangeError(`segments: unreadable timestamp ${String(value)}`);
  return date;
}

/** A SegmentService on a fresh entity manager: one per request or job. */
export function createSegmentService(
  deps: Pick<SubgraphDeps, 'orm' | 'pubSub' | 'queues' | 'log'>,
  tenantId: string,
  em: EntityManager = deps.orm.em.fork(),
): SegmentService {
  return new SegmentService(em, tenantId, { pubSub: deps.pubSub, queues: deps.queues, log: deps.log });
}
