import { isUuid } from '../../common/ids';
import type { Logger } from '../../common/logger';
import type { EntityManager } from '../../common/orm';
import type { EvaluateSegmentPageJob } from '../../common/queues';
import type { SegmentCondition } from '../domain/segments/condition';
import { evaluateSegment, type SegmentFacts } from '../domain/segments/evaluate-condition';
import { distinctWindows, segmentFactsOf } from '../domain/segments/facts';
import { fullPage, mergeIdPages, type IdPage } from '../domain/segments/recheck-page';
import { notSeenWindows, requiredEventWindows, timeEdgeRanges, usesIdentities } from '../domain/segments/requirements';
import { Identity } from '../entities/identity.entity';
import { Profile } from '../entities/profile.entity';
import { ProfileEvent } from '../entities/profile-event.entity';
import { ProfileMerge } from '../entities/profile-merge.entity';
import { SegmentMembership } from '../entities/segment-membership.entity';
import { Segment } from '../entities/segment.entity';
import type { SegmentMembershipOutbox } from './segment-membership-outbox';
import { SEGMENT_PAGE_SIZE, type SegmentPageChain } from './segment-page-chain';

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
 * The one evaluation every path shares (a profile changed, time passed, a segment was created or
 * changed), and the page chains that run it over many profiles.
 */
export class SegmentEvaluationService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly env: { chain: SegmentPageChain; outbox: SegmentMembershipOutbox; log: Logger },
  ) {}

  /**
   * Re-evaluates every segment of the tenant for one profile (after the profile changed). A
   * merged-away profile is followed to its survivor, and leaves every segment it was in.
   */
  async evaluateProfile(profileId: string, now = new Date()): Promise<MembershipChanges> {
    const segments = await this.em.getRepository(Segment).allOf(this.tenantId);
    return this.evaluate([profileId], segments.map(toDef), now, true);
  }

  /**
   * `evaluateProfile` for many profiles (a batch stage's): the segments read once, then one
   * transaction per `chunk` profiles, with a yield between chunks so SQLite's event loop (which
   * runs the transactions) is never held long. Returns the changes of all chunks together. Each
   * chunk clears the profiles' segment-evaluation marker (see `Profile.segmentsPendingSince`).
   */
  async evaluateProfiles(profileIds: readonly string[], now = new Date(), chunk = 100): Promise<MembershipChanges> {
    const ids = [...new Set(profileIds)];
    const segments = ids.length ? (await this.em.getRepository(Segment).allOf(this.tenantId)).map(toDef) : [];
    const total: MembershipChanges = { entered: 0, exited: 0 };
    for (let i = 0; i < ids.length; i += chunk) {
      if (i > 0) await new Promise(setImmediate);
      const changes = await this.evaluate(ids.slice(i, i + chunk), segments, now, true);
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
    const segmentRepo = this.em.getRepository(Segment);
    if (job.kind === 'backfill') {
      const segment = await segmentRepo.byId(this.tenantId, job.segmentId);
      // gone, or changed again: the newer version's own backfill takes over
      if (!segment || segment.version !== job.version) return { evaluated: 0, next: null };
      const { ids, next } = fullPage(await this.profileIdsAfter(job.after), SEGMENT_PAGE_SIZE);
      await this.evaluate(ids, [toDef(segment)], processingTime);
      if (next) await this.env.chain.continueAfter(job, next);
      return { evaluated: ids.length, next };
    }
    const now = new Date(job.now);
    const segments = await segmentRepo.dueForRecheck(this.tenantId, now);
    if (segments.length === 0) return { evaluated: 0, next: null };
    const { ids, next } = await this.recheckCandidates(segments, now, job.after);
    await this.evaluate(ids, segments.map(toDef), now);
    if (next) {
      await this.env.chain.continueAfter(job, next);
    } else {
      for (const segment of segments) await segmentRepo.markCheckedThrough(this.tenantId, segment, now);
    }
    return { evaluated: ids.length, next };
  }

  /**
   * The one evaluation: under a row lock on each profile (so two evaluations of one profile
   * never interleave), loads the facts the segments need, compares the result with current
   * membership, records entries and exits at `now`, commits, then announces them. Replaying it
   * changes nothing and re-announces only what a crash left unannounced. With `settles` (every
   * segment of the tenant evaluated, not a page of one), the same transaction clears each
   * profile's segment-evaluation marker if its version is still the one read under the lock.
   */
  private async evaluate(profileIds: string[], segments: SegmentDef[], now: Date, settles = false): Promise<MembershipChanges> {
    const ids = [...new Set(profileIds)].filter(isUuid);
    const tenantId = this.tenantId;
    if (ids.length === 0) return { entered: 0, exited: 0 };
    // no segments means no memberships either, and nothing owed: a segment created later is backfilled
    if (segments.length === 0) {
      if (settles) await this.em.getRepository(Profile).clearSegmentsPending(tenantId, await this.pendingOf(ids));
      return { entered: 0, exited: 0 };
    }
    const touched = new Set<string>(ids);
    const changes = await this.em.transactional(async (em) => {
      const survivors = await em.getRepository(ProfileMerge).survivorsOf(tenantId, ids);
      const targets = [...new Set(survivors.values())].sort();
      targets.forEach((id) => touched.add(id));
      const profiles = await em.getRepository(Profile).lockForUpdate(tenantId, targets);
      const live = new Set(profiles.map((p) => p.id));
      const gone = [...touched].filter((id) => !live.has(id));
      const facts = await this.loadFacts(em, profiles, segments, now);
      const current = await em.getRepository(SegmentMembership).currentForEvaluation(tenantId, [...live], segments.map((s) => s.id), gone);
      const have = new Map(current.map((m) => [`${m.segment.id}/${m.profileId}`, m]));
      let entered = 0;
      let exited = 0;
      const exit = (m: SegmentMembership) => {
        // never before the entry, even when a re-check page runs at its (earlier) tick time
        m.exitedAt = now < m.enteredAt ? m.enteredAt : now;
        m.current = null;
        // wall-clock, not `now`: the sweeper's grace runs from when the hand-off became owed
        m.exitAlertsPendingSince = new Date();
        exited += 1;
      };
      for (const profile of profiles) {
        for (const segment of segments) {
          const member = have.get(`${segment.id}/${profile.id}`);
          const matches = evaluateSegment(segment.condition, facts.get(profile.id)!, now);
          if (matches && !member) {
            em.create(SegmentMembership, { tenantId, segment: segment.id, profileId: profile.id, enteredAt: now, entryAlertsPendingSince: new Date() });
            entered += 1;
          } else if (!matches && member) {
            exit(member);
          }
        }
      }
      // a merged-away or deleted profile is in no segment any more
      current.filter((m) => !live.has(m.profileId)).forEach(exit);
      await em.flush();
      if (settles) {
        // versions read under the lock: a change committed after it raised the version and stays owed
        const seen = profiles.filter((p) => p.segmentsPendingSince !== null).map((p) => ({ id: p.id, version: p.segmentsPendingVersion }));
        await em.getRepository(Profile).clearSegmentsPending(tenantId, seen);
      }
      return { entered, exited };
    });
    await this.env.outbox.announce([...touched]);
    if (changes.entered || changes.exited) {
      this.env.log.debug({ tenantId, profiles: ids.length, ...changes }, 'segment membership changed');
    }
    return changes;
  }

  /** The markers of these profiles that are set, as they are now (one query). */
  private async pendingOf(ids: string[]): Promise<{ id: string; version: number }[]> {
    const rows = await this.em.find(
      Profile,
      { tenantId: this.tenantId, id: { $in: ids }, segmentsPendingSince: { $ne: null } },
      { fields: ['id', 'segmentsPendingVersion'], disableIdentityMap: true },
    );
    return rows.map((p) => ({ id: p.id, version: p.segmentsPendingVersion }));
  }

  /** Traits, computed traits, identities, window counts and last activity, in a few queries for all profiles. */
  private async loadFacts(em: EntityManager, profiles: Profile[], segments: SegmentDef[], now: Date): Promise<Map<string, SegmentFacts>> {
    const ids = profiles.map((p) => p.id);
    const windows = distinctWindows(segments.flatMap((s) => requiredEventWindows(s.condition)));
    const needsLastSeen = segments.some((s) => notSeenWindows(s.condition).length > 0);
    const needsIdentities = segments.some((s) => usesIdentities(s.condition));
    if (ids.length === 0) return new Map();
    const events = em.getRepository(ProfileEvent);
    const counts = await events.windowCounts(this.tenantId, ids, windows, now);
    const lastSeen = needsLastSeen ? await events.lastEventTimes(this.tenantId, ids) : new Map<string, Date>();
    const identities = needsIdentities ? await em.find(Identity, { tenantId: this.tenantId, profile: { $in: ids } }) : [];
    return segmentFactsOf(profiles, {
      windows,
      counts,
      lastSeen,
      identities: identities.map((i) => ({ profileId: i.profile.id, type: i.type, value: i.value })),
    });
  }

  /**
   * The next page of profiles whose time leaves may have flipped since each segment's last check
   * (`timeEdgeRanges`): `track` events of a counted name that left a window, any activity (or a
   * creation) that crossed an inactivity threshold. A segment never checked makes it every profile.
   */
  private async recheckCandidates(segments: Segment[], now: Date, after: string | null): Promise<IdPage> {
    if (segments.some((s) => s.checkedThrough === null)) return fullPage(await this.profileIdsAfter(after), SEGMENT_PAGE_SIZE);
    const ranges = segments.flatMap((s) => timeEdgeRanges(s.condition, s.checkedThrough!, now));
    if (ranges.length === 0) return { ids: [], next: null };
    const fromEvents = await this.em.getRepository(ProfileEvent).profileIdsWithEventsIn(this.tenantId, ranges, after, SEGMENT_PAGE_SIZE);
    const creations = ranges.filter((r) => r.event === null);
    const fromCreation = creations.length
      ? await this.profileIdsAfter(after, { $or: creations.map((r) => ({ createdAt: { $gte: r.from, $lte: r.to } })) })
      : [];
    return mergeIdPages([fromEvents, fromCreation], SEGMENT_PAGE_SIZE);
  }

  private profileIdsAfter(after: string | null, where = {}): Promise<string[]> {
    return this.em.getRepository(Profile).idsAfter(this.tenantId, after, SEGMENT_PAGE_SIZE, where);
  }
}

function toDef(segment: Segment): SegmentDef {
  return { id: segment.id, name: segment.name, condition: segment.condition };
}
