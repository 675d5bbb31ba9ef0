import { insertOnce, type EntityManager } from '../../common/orm';
import type { RecordActivityJob } from '../../common/queues';
import { planActivity, splitAtMerges, statementsOf, type ActivityPlan } from '../domain/activity-plan';
import type { ProfileHistory } from '../domain/churn/history';
import type { JourneySnapshotInput } from '../domain/dropoff/journey-features';
import { ActivityEvent } from '../entities/activity-event.entity';
import { ActivityRepository } from '../entities/activity.repository';
import { ActivitySignal } from '../entities/activity-signal.entity';
import { JourneySnapshot } from '../entities/journey-snapshot.entity';
import { ProfileAlias } from '../entities/profile-alias.entity';
import { ProfileAliasRepository } from '../entities/profile-alias.repository';
import { ProfileFeatureStateRepository } from '../entities/profile-feature-state.repository';
import { RiskScore } from '../entities/risk-score.entity';
import { SegmentMember } from '../entities/segment-member.entity';
import { FeatureStateService } from './feature-state.service';

/** Observations stored per transaction: a few multi-row statements, well under ~50 ms on SQLite. */
export const ITEMS_PER_TRANSACTION = 250;

/** Risk's own copy of profiles' activity: stored idempotently, read back as `ProfileHistory`. */
export class ActivityService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * Stores a batch of observations in order, set-based: each run between merges is planned in
   * memory after one alias lookup for all its profiles, then written with one multi-row
   * insert-or-ignore per table in one transaction per chunk; merges take their locked path one by
   * one. A replay changes nothing. Returns the surviving profiles whose score the batch may move
   * (segment changes do not), first-seen order.
   */
  async recordMany(items: readonly RecordActivityJob[]): Promise<string[]> {
    const touched: string[] = [];
    for (const part of splitAtMerges(items)) {
      if (!Array.isArray(part)) {
        touched.push(await this.merge(part.mergedProfileId, part.profileId));
        continue;
      }
      for (let i = 0; i < part.length; i += ITEMS_PER_TRANSACTION) {
        if (i > 0) await new Promise(setImmediate); // a short transaction per chunk, the event loop free between
        const chunk = part.slice(i, i + ITEMS_PER_TRANSACTION);
        const survivors = await new ProfileAliasRepository(this.em, this.tenantId).survivorsOf(chunk.map((item) => item.profileId));
        const plan = planActivity(chunk, survivors);
        await this.storeAndFold(plan);
        touched.push(...plan.touched);
      }
    }
    if (!items.some((item) => item.kind === 'merge')) return [...new Set(touched)];
    // a merge later in the batch may have moved a profile touched earlier
    const survivors = await new ProfileAliasRepository(this.em, this.tenantId).survivorsOf(touched);
    return [...new Set(touched.map((id) => survivors.get(id) ?? id))];
  }

  /**
   * Stores a planned chunk and folds the rows it inserted into their profiles' feature states,
   * in one transaction: a replay inserts nothing and so folds nothing (see `FeatureStateService`).
   */
  private async storeAndFold(plan: ActivityPlan): Promise<void> {
    const folds = plan.events.length + plan.signals.length + plan.snapshots.length > 0;
    // one statement is atomic on its own: a lone segment change needs no transaction around it
    if (!folds && statementsOf(plan) <= 1) {
      await new ActivityRepository(this.em, this.tenantId).store(plan);
      return;
    }
    await this.em.transactional(async (tx) => {
      const repo = new ActivityRepository(tx, this.tenantId);
      const ids = await repo.store(plan);
      if (folds) await new FeatureStateService(tx, this.tenantId).foldStored(plan, ids, await repo.newlyStored(ids));
    });
  }

  /** The profile an id stands for now: itself, or the survivor of the merges it went through. */
  async survivorOf(profileId: string): Promise<string> {
    let current = profileId;
    for (let hop = 0; hop < 16; hop++) {
      const alias = await this.em.findOne(ProfileAlias, { tenantId: this.tenantId, mergedProfileId: current }, { fields: ['survivorProfileId'] });
      if (!alias) return current;
      current = alias.survivorProfileId;
    }
    return current;
  }

  /**
   * Records the merge and moves everything risk holds under the merged id (activity, signals,
   * journeys, segment stays, scores) to the survivor. Idempotent: a replay finds nothing to move.
   */
  private async merge(mergedProfileId: string, survivorProfileId: string): Promise<string> {
    const tenantId = this.tenantId;
    const survivor = await this.survivorOf(survivorProfileId);
    if (survivor === mergedProfileId) return survivor; // a cycle would lose the profile: ignore
    await insertOnce(this.em, ProfileAlias, { tenantId, mergedProfileId, survivorProfileId: survivor }, ['tenantId', 'mergedProfileId']);
    await this.em.transactional(async (tx) => {
      for (const entity of [ActivityEvent, ActivitySignal, JourneySnapshot, SegmentMember, RiskScore] as const) {
        await tx.nativeUpdate(entity as typeof ActivityEvent, { tenantId, profileId: mergedProfileId }, { profileId: survivor });
      }
      // the survivor's history changed under its state: rebuilt by its next batch, scored from history until then
      const states = new ProfileFeatureStateRepository(tx, tenantId);
      await states.remove([mergedProfileId]);
      await states.markStale([survivor]);
    });
    return survivor;
  }

  /**
   * One profile's whole history, for a live score: the lifetime model needs the first purchase
   * however old it is (features look back 90 days at most).
   */
  async historyOf(profileId: string): Promise<ProfileHistory> {
    const histories = await this.histories([profileId]);
    return histories.get(profileId) ?? { profileId, events: [], signals: [], journeys: [] };
  }

  /** Whole histories of these profiles, in three queries. */
  async histories(profileIds: string[]): Promise<Map<string, ProfileHistory>> {
    const tenantId = this.tenantId;
    const byProfile = new Map<string, ProfileHistory>(profileIds.map((id) => [id, { profileId: id, events: [], signals: [], journeys: [] }]));
    if (profileIds.length === 0) return byProfile;
    // plain rows, not managed entities: hydrating tens of thousands of entities costs seconds
    const [events, signals, journeys] = (await Promise.all([
      this.em
        .createQueryBuilder(ActivityEvent)
        .select(['id', 'profileId', 'eventId', 'type', 'name', 'timestamp', 'revenue', 'traits'])
        .where({ tenantId, profileId: { $in: profileIds } })
        .orderBy({ timestamp: 'asc', id: 'asc' })
        .execute('all', true),
      this.em
        .createQueryBuilder(ActivitySignal)
        .select(['id', 'profileId', 'signalId', 'type', 'severity', 'detectedAt', 'summary'])
        .where({ tenantId, profileId: { $in: profileIds } })
        .orderBy({ detectedAt: 'asc', id: 'asc' })
        .execute('all', true),
      this.em
        .createQueryBuilder(JourneySnapshot)
        .select(['id', 'profileId', 'instanceId', 'journeyName', 'state', 'observedAt'])
        .where({ tenantId, profileId: { $in: profileIds } })
        .orderBy({ observedAt: 'asc', id: 'asc' })
        .execute('all', true),
    ])) as [ActivityEvent[], ActivitySignal[], JourneySnapshot[]];
    const asDate = (v: Date | string | number) => (v instanceof Date ? v : new Date(v));
    for (const e of events) {
      byProfile.get(e.profileId)?.events.push({ id: e.eventId, key: e.id, type: e.type, name: e.name, timestamp: asDate(e.timestamp), revenue: e.revenue, traits: parseJson(e.traits) });
    }
    for (const s of signals) {
      byProfile.get(s.profileId)?.signals.push({ id: s.signalId, key: s.id, type: s.type, severity: s.severity, detectedAt: asDate(s.detectedAt), summary: s.summary });
    }
    for (const j of journeys) {
      byProfile.get(j.profileId)?.journeys.push({ instanceId: j.instanceId, key: j.id, journeyName: j.journeyName, state: j.state, observedAt: asDate(j.observedAt) });
    }
    return byProfile;
  }

  /**
   * Journey snapshots grouped by instance: of some profiles (two queries for any number), or of
   * the whole tenant (training).
   * Snapshots are sent on state and step changes only, so retry loops found while an instance sat
   * at a step are counted from risk's copy of the signals: up to `liveAt` (a live score), or up to
   * when the instance left that state (a training row).
   */
  async journeySnapshots(profileIds: readonly string[] | null = null, liveAt: Date | null = null): Promise<Map<string, JourneySnapshotInput[]>> {
    if (profileIds?.length === 0) return new Map();
    const ofProfiles = profileIds ? { profileId: { $in: [...new Set(profileIds)] } } : {};
    const retries = await this.retryLoopTimes(ofProfiles);
    const rows = await this.em.find(
      JourneySnapshot,
      { tenantId: this.tenantId, ...ofProfiles },
      { orderBy: { observedAt: 'asc', id: 'asc' } },
    );
    const byInstance = new Map<string, JourneySnapshotInput[]>();
    for (const r of rows) {
      const list = byInstance.get(r.instanceId) ?? [];
      list.push({
        instanceId: r.instanceId,
        profileId: r.profileId,
        journeyId: r.journeyId,
        journeyName: r.journeyName,
        state: r.state,
        stepIndex: r.stepIndex,
        stepCount: r.stepCount,
        step: r.step,
        stepReachedAt: r.stepReachedAt,
        stepSlaMs: r.stepSlaMs,
        startedAt: r.startedAt,
        retries: r.retries,
        endedAt: r.endedAt,
        observedAt: r.observedAt,
      });
      byInstance.set(r.instanceId, list);
    }
    for (const [instanceId, list] of byInstance) {
      const times = retries.get(instanceId) ?? [];
      list.forEach((snapshot, i) => {
        const until = (liveAt ?? list[i + 1]?.observedAt ?? snapshot.endedAt ?? snapshot.observedAt).getTime();
        snapshot.retries = Math.max(snapshot.retries, times.filter((t) => t <= until).length);
      });
    }
    return byInstance;
  }

  /** Times of the retry-loop signals of each journey instance. */
  private async retryLoopTimes(ofProfiles: { profileId?: { $in: string[] } }): Promise<Map<string, number[]>> {
    const rows = await this.em.find(
      ActivitySignal,
      { tenantId: this.tenantId, type: 'retry_loop', journeyInstanceId: { $ne: null }, ...ofProfiles },
      { fields: ['journeyInstanceId', 'detectedAt'] },
    );
    const times = new Map<string, number[]>();
    for (const r of rows) times.set(r.journeyInstanceId!, [...(times.get(r.journeyInstanceId!) ?? []), r.detectedAt.getTime()]);
    return times;
  }

  /** The tenant's profiles with activity, a page at a time (by profile id). */
  async profilePage(after: string | null, limit: number): Promise<string[]> {
    const qb = this.em
      .createQueryBuilder(ActivityEvent)
      .select('profileId', true)
      .where({ tenantId: this.tenantId, ...(after ? { profileId: { $gt: after } } : {}) })
      .orderBy({ profileId: 'asc' })
      .limit(limit);
    const rows: { profileId?: string; profile_id?: string }[] = await qb.execute('all', false);
    return rows.map((r) => (r.profileId ?? r.profile_id) as string);
  }

  /** Latest event time of the tenant: "now" of its data, the end of label windows. */
  async dataEnd(): Promise<Date | null> {
    const last = await this.em.findOne(ActivityEvent, { tenantId: this.tenantId }, { orderBy: { timestamp: 'desc' }, fields: ['timestamp'] });
    return last?.timestamp ?? null;
  }

  /** Signal types the tenant has seen (one feature each). */
  async signalTypes(): Promise<string[]> {
    const rows: { type: string }[] = await this.em
      .createQueryBuilder(ActivitySignal)
      .select('type', true)
      .where({ tenantId: this.tenantId })
      .orderBy({ type: 'asc' })
      .execute('all', false);
    return rows.map((r) => r.type);
  }
}

/** A JSON column as the driver returns it in plain rows (parsed on PostgreSQL, text on SQLite). */
function parseJson(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return (value ?? {}) as Record<string, unknown>;
}
