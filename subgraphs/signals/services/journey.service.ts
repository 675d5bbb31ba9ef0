import { LockMode, raw, UniqueConstraintViolationException, type FilterQuery } from '@mikro-orm/core';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';

import { AppError } from '../../common/errors';
import { isUuid } from '../../common/ids';
import type { EntityManager } from '../../common/orm';
import type { FrictionFinding } from '../domain/friction/finding';
import {
  JourneyDefinitionError,
  parseJourneyDefinition,
  type JourneySpec,
} from '../domain/journeys/definition';
import {
  matchJourneyEvent,
  partitionJourneyEvents,
  replayJourney,
  stepDurations,
  stepIndex,
  type JourneyEventRecord,
  type JourneyState,
} from '../domain/journeys/progress';
import { detectJourneyRetryLoops, retryLoopFinding, type JourneyFindingContext } from '../domain/journeys/retry-loop';
import { detectTimeBasedFriction, nextJourneyCheckAt, type JourneyInstanceSnapshot } from '../domain/journeys/time-based';
import type { Event } from '../entities/event.entity';
import { JourneyDefinition } from '../entities/journey-definition.entity';
import { JourneyEvent } from '../entities/journey-event.entity';
import { JourneyInstance } from '../entities/journey-instance.entity';
import { JourneyStepTime } from '../entities/journey-step.entity';
import { queueJourneySnapshots, type JourneySnapshotQueue, type JourneySnapshotScope } from './journey-snapshot';

/** Instances the sweep handles per page (one flush each). */
export const JOURNEY_SWEEP_PAGE = 200;
/** Pages per `sweep` call: at most 5,000 instances per tenant per run; the rest wait for the next run. */
export const JOURNEY_SWEEP_MAX_PAGES = 25;
/** Most matched events one replay reads (from the start of the instance the event falls in). */
const REPLAY_LIMIT = 5000;

/** Untrusted fields of `createJourney` (every field) and `updateJourney` (the fields to change). */
export interface JourneyDefinitionData {
  name?: string | null;
  /** Undefined keeps the description; null clears it. */
  description?: string | null;
  steps?: unknown[] | null;
  completionStep?: string | null;
  slaMs?: number | null;
  retryLoop?: { count?: number | null; windowMs?: number | null } | null;
  sessionTimeoutMs?: number | null;
}

export interface ListJourneysOptions {
  definitionId?: string | null;
  state?: JourneyState | null;
  first: number;
}

/** The funnel of one definition, in the shape of the `JourneyFunnel` GraphQL type. */
export interface JourneyFunnelData {
  definitionId: string;
  from: Date | null;
  to: Date | null;
  entered: number;
  completed: number;
  completionRate: number;
  active: number;
  stalled: number;
  abandoned: number;
  steps: { key: string; reached: number; conversion: number; conversionFromStart: number; medianTimeMs: number | null }[];
}

/**
 * Journeys of one tenant: definitions (admin), instances advanced by events (`advanceBatch`, called
 * by the event-resolved batch for its named events) and by time (`sweep`, called by the scheduled
 * friction sweep), and their funnel.
 *
 * `advance` is idempotent per event id and returns the same findings when replayed, so a job that
 * crashed before recording them finds them again. `sweep` moves instances past their deadlines
 * and returns each time-based finding once: run it and the recording of its findings in one
 * transaction (`em.transactional`, this service built on the transaction's em) to make them atomic.
 *
 * Given the `record-activity` queue, both queue the risk stage's journey snapshots
 * (`queueJourneySnapshots`) once their change is committed: `advance` every state the replayed
 * instances have been in, `sweep` the stalls and abandonments it marked. Job ids make a replay
 * queue nothing new. A crash between a sweep page's commit and its queueing loses that page's
 * snapshots (the instances are no longer due); an event-driven snapshot is sent again by the
 * retried job or the instance's next event.
 */
export class JourneyService {
  private definitionsLoaded: Promise<Map<string, { def: JourneyDefinition; spec: JourneySpec }>> | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    /** The `record-activity` producer; without it no snapshot is queued (admin requests, tests). */
    private readonly activityQueue?: JourneySnapshotQueue,
  ) {}

  // ---- definitions -------------------------------------------------------------------------

  listDefinitions(): Promise<JourneyDefinition[]> {
    return this.em.find(JourneyDefinition, { tenantId: this.tenantId }, { orderBy: { name: 'asc' } });
  }

  definition(id: string): Promise<JourneyDefinition | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.em.findOne(JourneyDefinition, { tenantId: this.tenantId, id });
  }

  async createDefinition(input: JourneyDefinitionData): Promise<JourneyDefinition> {
    const spec = validate(input);
    await this.assertNameFree(spec.name, null);
    const def = this.em.create(JourneyDefinition, { tenantId: this.tenantId, description: input.description ?? null, ...spec });
    await this.flushDefinition(spec.name);
    return def;
  }

  /**
   * Changes a definition. New steps apply to events from then on: open instances keep the steps
   * they reached (by key) and continue under the new definition.
   */
  async updateDefinition(id: string, patch: JourneyDefinitionData): Promise<JourneyDefinition> {
    const def = await this.requireDefinition(id);
    const stepsChanged = patch.steps !== undefined && patch.steps !== null;
    const spec = validate({
      name: patch.name ?? def.name,
      steps: stepsChanged ? patch.steps : def.steps,
      // new steps without a completion step: the last one, as on create
      completionStep: patch.completionStep ?? (stepsChanged ? undefined : def.completionStep),
      slaMs: patch.slaMs ?? def.slaMs,
      retryLoop: { ...def.retryLoop, ...withoutNulls(patch.retryLoop ?? {}) },
      sessionTimeoutMs: patch.sessionTimeoutMs ?? def.sessionTimeoutMs,
    });
    if (spec.name !== def.name) await this.assertNameFree(spec.name, def.id);
    this.em.assign(def, { ...spec, version: def.version + 1 });
    if (patch.description !== undefined) def.description = patch.description;
    await this.flushDefinition(spec.name);
    return def;
  }

  /** Deletes a definition with its instances; returns its id. Signals already recorded stay. */
  async deleteDefinition(id: string): Promise<string> {
    const def = await this.requireDefinition(id);
    await this.em.transactional(async (em) => {
      const where = { tenantId: this.tenantId, definitionId: def.id };
      await em.nativeDelete(JourneyStepTime, where);
      await em.nativeDelete(JourneyEvent, where);
      await em.nativeDelete(JourneyInstance, where);
      await em.nativeDelete(JourneyDefinition, { tenantId: this.tenantId, id: def.id });
    });
    this.em.getUnitOfWork().unsetIdentity(def);
    return def.id;
  }

  private async requireDefinition(id: string): Promise<JourneyDefinition> {
    const def = await this.definition(id);
    if (!def) throw new AppError('NOT_FOUND', `no journey definition ${id}`);
    return def;
  }

  private async assertNameFree(name: string, exceptId: string | null): Promise<void> {
    const clash = await this.em.findOne(JourneyDefinition, { tenantId: this.tenantId, name });
    if (clash && clash.id !== exceptId) throw new AppError('CONFLICT', `a journey named "${name}" already exists`, { definitionId: clash.id });
  }

  private async flushDefinition(name: string): Promise<void> {
    try {
      await this.em.flush();
    } catch (err) {
      // a concurrent create of the same name
      if (err instanceof UniqueConstraintViolationException) throw new AppError('CONFLICT', `a journey named "${name}" already exists`);
      throw err;
    }
  }

  // ---- instances ---------------------------------------------------------------------------

  instance(id: string): Promise<JourneyInstance | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.em.findOne(JourneyInstance, { tenantId: this.tenantId, id });
  }

  /** Instances of the tenant, most recently started first. */
  list({ definitionId, state, first }: ListJourneysOptions): Promise<JourneyInstance[]> {
    if (definitionId && !isUuid(definitionId)) return Promise.resolve([]);
    return this.em.find(
      JourneyInstance,
      { tenantId: this.tenantId, ...(definitionId ? { definitionId } : {}), ...(state ? { state } : {}) },
      { orderBy: { startedAt: 'desc', id: 'desc' }, limit: first },
    );
  }

  /** A profile's instances, most recently started first. */
  listForProfile(profileId: string): Promise<JourneyInstance[]> {
    if (!isUuid(profileId)) return Promise.resolve([]);
    return this.em.find(JourneyInstance, { tenantId: this.tenantId, profileId }, { orderBy: { startedAt: 'desc', id: 'desc' } });
  }

  /** The definition of an instance (by primary key, so the identity map serves repeats). */
  async definitionOf(instance: Pick<JourneyInstance, 'definitionId'>): Promise<JourneyDefinition> {
    const def = await this.em.findOne(JourneyDefinition, instance.definitionId);
    if (!def || def.tenantId !== this.tenantId) throw new AppError('NOT_FOUND', `no journey definition ${instance.definitionId}`);
    return def;
  }

  // ---- funnel ------------------------------------------------------------------------------

  /**
   * Entered, completed, reached per step, conversion and median time per step, and state counts,
   * over the instances that started in [from, to) (either bound optional). Aggregated in SQL;
   * each median reads one or two rows through the (definition, step, duration) index.
   */
  async funnel(definitionId: string, from: Date | null = null, to: Date | null = null): Promise<JourneyFunnelData> {
    const def = await this.requireDefinition(definitionId);
    if (from && to && from >= to) throw new AppError('BAD_USER_INPUT', '`from` must be before `to`');
    const window = { ...(from ? { $gte: from } : {}), ...(to ? { $lt: to } : {}) };
    const base = { tenantId: this.tenantId, definitionId: def.id };
    const cohort: FilterQuery<JourneyInstance> = { ...base, ...(from || to ? { startedAt: window } : {}) };
    const stepCohort: FilterQuery<JourneyStepTime> = { ...base, ...(from || to ? { instanceStartedAt: window } : {}) };

    const byState = (await this.em
      .createQueryBuilder(JourneyInstance, 'i')
      .select(['i.state', raw('count(*) as ??', ['cnt'])])
      .where(cohort)
      .groupBy('i.state')
      .execute('all', false)) as { state: string; cnt: number | string }[];
    const states = new Map(byState.map((r) => [r.state, Number(r.cnt)]));
    const byIndex = (await this.em
      .createQueryBuilder(JourneyInstance, 'i')
      .select(['i.current_step_index', raw('count(*) as ??', ['cnt'])])
      .where(cohort)
      .groupBy('i.current_step_index')
      .execute('all', false)) as { current_step_index: number | string; cnt: number | string }[];
    const durationCounts = (await this.em
      .createQueryBuilder(JourneyStepTime, 's')
      .select(['s.step_index', raw('count(*) as ??', ['cnt'])])
      .where({ ...stepCohort, durationMs: { $ne: null } })
      .groupBy('s.step_index')
      .execute('all', false)) as { step_index: number | string; cnt: number | string }[];

    const entered = [...states.values()].reduce((a, b) => a + b, 0);
    const atIndex = new Map(byIndex.map((r) => [Number(r.current_step_index), Number(r.cnt)]));
    const steps: JourneyFunnelData['steps'] = [];
    // reached step k = furthest step ≥ k (a skipped step was still passed)
    let reachedBelow = entered;
    for (let k = 0; k < def.steps.length; k++) {
      const reached = entered - [...atIndex.entries()].filter(([i]) => i < k).reduce((a, [, n]) => a + n, 0);
      const n = Number(durationCounts.find((r) => Number(r.step_index) === k)?.cnt ?? 0);
      steps.push({
        key: def.steps[k].key,
        reached,
        conversion: k === 0 ? (entered ? 1 : 0) : reachedBelow ? reached / reachedBelow : 0,
        conversionFromStart: entered ? reached / entered : 0,
        medianTimeMs: n ? await this.medianDuration(stepCohort, k, n) : null,
      });
      reachedBelow = reached;
    }
    const completed = states.get('completed') ?? 0;
    return {
      definitionId: def.id,
      from,
      to,
      entered,
      completed,
      completionRate: entered ? completed / entered : 0,
      active: states.get('active') ?? 0,
      stalled: states.get('stalled') ?? 0,
      abandoned: states.get('abandoned') ?? 0,
      steps,
    };
  }

  /** Median of `n` known durations at one step: the middle one or two rows, in index order. */
  private async medianDuration(cohort: FilterQuery<JourneyStepTime>, stepIdx: number, n: number): Promise<number> {
    const rows = await this.em.find(
      JourneyStepTime,
      { ...(cohort as object), stepIndex: stepIdx, durationMs: { $ne: null } } as FilterQuery<JourneyStepTime>,
      { fields: ['durationMs'], orderBy: { durationMs: 'asc' }, limit: n % 2 ? 1 : 2, offset: Math.floor((n - 1) / 2), disableIdentityMap: true },
    );
    const values = rows.map((r) => r.durationMs!);
    return values.reduce((a, b) => a + b, 0) / values.length;
  }

  // ---- advancing -----------------------------------------------------------------------------

  /**
   * Advance every journey this (resolved) event matches for its profile; returns findings from
   * event-driven journey detectors (retry loop within a journey step, including failure events).
   * Idempotent per event id: a replay changes nothing and returns the same findings.
   * Any event of the profile also counts as session activity for its open instances.
   */
  async advance(event: Event): Promise<FrictionFinding[]> {
    return (await this.advanceBatch([event]))[0];
  }

  /**
   * `advance` for a batch of events, in its order (each profile's events in the order they
   * happened to arrive): each event a journey matches replays that journey for its profile (the
   * few events that match anything), then one read of the batch profiles' open instances counts
   * every event as session activity. Returns each event's findings, by position.
   */
  async advanceBatch(events: readonly Event[]): Promise<FrictionFinding[][]> {
    for (const event of events) {
      if (event.tenantId !== this.tenantId) throw new RangeError(`advance: event ${event.id} is not of tenant ${this.tenantId}`);
    }
    // only resolved events belong to a profile's journeys
    const owned = events.filter((e): e is Event & { profileId: string } => e.profileId !== null);
    if (!owned.length) return events.map(() => []);
    const definitions = await this.definitions();
    const findings = new Map<Event, FrictionFinding[]>();
    for (const event of owned) {
      const found: FrictionFinding[] = [];
      for (const { def, spec } of definitions.values()) {
        const match = matchJourneyEvent(spec, { name: event.name, properties: event.properties });
        if (match) found.push(...(await this.replay(def, spec, event.profileId, event, match)));
      }
      findings.set(event, found);
    }
    if (definitions.size) await this.touchOpenInstances(owned);
    return events.map((e) => findings.get(e) ?? []);
  }

  private async replay(
    def: JourneyDefinition,
    spec: JourneySpec,
    profileId: string,
    event: Event,
    match: { steps: string[]; failures: string[] },
  ): Promise<FrictionFinding[]> {
    const tenantId = this.tenantId;
    const scope = { tenantId, definitionId: def.id, profileId };
    const replayed: JourneyInstance[] = [];
    const result = await this.em.transactional(async (em) => {
      const pg = em.getPlatform() instanceof PostgreSqlPlatform;
      // serialises replays of one (journey, profile) even before any instance row exists to lock
      if (pg) await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`journey:${tenantId}:${def.id}:${profileId}`]);
      await em.upsert(
        JourneyEvent,
        em.create(JourneyEvent, { ...scope, eventId: event.id, eventName: event.name ?? '', timestamp: event.timestamp, ...match }, { persist: false }),
        { onConflictFields: ['tenantId', 'definitionId', 'eventId'], onConflictAction: 'ignore' },
      );

      // only the instance the event falls in and later ones can change: an instance starts only
      // when none is open, so nothing before the latest start at or before the event is affected
      const prior = await em.findOne(JourneyInstance, { ...scope, startedAt: { $lte: event.timestamp } }, { orderBy: { startedAt: 'desc', id: 'desc' } });
      const from = prior?.startedAt ?? event.timestamp;
      const stored = await em.find(
        JourneyEvent,
        { ...scope, timestamp: { $gte: from } },
        { orderBy: { timestamp: 'asc', eventId: 'asc' }, limit: REPLAY_LIMIT, refresh: true },
      );
      const instances = await em.find(
        JourneyInstance,
        { ...scope, startedAt: { $gte: from } },
        { orderBy: { startedAt: 'asc', id: 'asc' }, refresh: true, ...(pg ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {}) },
      );
      const records: JourneyEventRecord[] = stored.map((e) => ({ eventId: e.eventId, timestamp: e.timestamp, steps: e.steps, failures: e.failures }));
      const names = new Map(stored.map((e) => [e.eventId, e.eventName]));

      const unused = new Set(instances);
      const findings: FrictionFinding[] = [];
      for (const partition of partitionJourneyEvents(spec, records)) {
        const ids = new Set(partition.map((r) => r.eventId));
        // an instance keeps its id while its start event stays inside it (an earlier start may arrive late)
        let instance = instances.find((i) => unused.has(i) && ids.has(i.startEventId));
        const progress = replayJourney(spec, partition);
        if (instance) {
          unused.delete(instance);
        } else {
          instance = em.create(JourneyInstance, {
            ...scope,
            currentStep: progress.currentStep,
            currentStepIndex: progress.currentStepIndex,
            stepTimes: [],
            startEventId: progress.startEventId,
            lastEventId: progress.lastEventId,
            startedAt: progress.startedAt,
            lastEventAt: progress.lastEventAt,
            lastSeenAt: progress.lastEventAt,
          });
        }
        this.applyProgress(spec, instance, progress);
        await em.nativeDelete(JourneyStepTime, { tenantId, instanceId: instance.id });
        const durations = stepDurations(progress);
        progress.steps.forEach((s, i) =>
          em.create(JourneyStepTime, {
            tenantId,
            definitionId: def.id,
            instanceId: instance.id,
            instanceStartedAt: progress.startedAt,
            stepIndex: stepIndex(spec, s.key),
            stepKey: s.key,
            reachedAt: s.reachedAt,
            durationMs: durations[i],
          }),
        );
        const ctx: JourneyFindingContext = { profileId, instanceId: instance.id, journeyId: def.id, journeyName: def.name };
        const reports = { ...instance.loopReports };
        for (const loop of detectJourneyRetryLoops(spec, partition, names)) {
          const finding = retryLoopFinding(spec, loop, ctx);
          const reporter = reports[finding.dedupeKey];
          // new loops (however they were completed), and on a replay of an event the loops it returned before
          if (reporter === undefined || reporter === event.id || loop.events.some((e) => e.eventId === event.id)) {
            findings.push(finding);
            reports[finding.dedupeKey] ??= event.id;
          }
        }
        instance.loopReports = reports;
        replayed.push(instance);
      }
      // instances whose start event now lies inside an earlier instance (it started late)
      for (const gone of unused) {
        await em.nativeDelete(JourneyStepTime, { tenantId, instanceId: gone.id });
        em.remove(gone);
      }
      await em.flush();
      return findings;
    });
    // committed: the retry loops just found are not stored yet (the caller records them next)
    await this.queueSnapshots(replayed, 'history', result);
    return result;
  }

  /** Event-derived fields from a replay; time-based marks are kept unless progress makes them moot. */
  private applyProgress(spec: JourneySpec, instance: JourneyInstance, progress: ReturnType<typeof replayJourney>): void {
    Object.assign(instance, {
      currentStep: progress.currentStep,
      currentStepIndex: progress.currentStepIndex,
      stepTimes: progress.steps.map((s) => ({ key: s.key, reachedAt: s.reachedAt.toISOString(), eventId: s.eventId })),
      startEventId: progress.startEventId,
      lastEventId: progress.lastEventId,
      startedAt: progress.startedAt,
      lastEventAt: progress.lastEventAt,
      completedAt: progress.completedAt,
    });
    if (progress.lastEventAt > instance.lastSeenAt) {
      instance.lastSeenAt = progress.lastEventAt;
      instance.exitedAt = null;
    }
    if (progress.completedAt) {
      // a late completion event inside the SLA wins over a time-based mark
      Object.assign(instance, { state: 'completed', abandonedAt: null, stalledStep: null, stalledAt: null });
    } else if (instance.abandonedAt) {
      instance.state = 'abandoned';
    } else if (instance.stalledStep && instance.stalledStep === progress.currentStep) {
      instance.state = 'stalled';
    } else {
      Object.assign(instance, { state: 'active', stalledStep: null, stalledAt: null });
    }
    instance.nextCheckAt = nextJourneyCheckAt(spec, snapshot(instance));
  }

  /**
   * Session activity: any event of the profile moves `lastSeenAt` of its open instances (that
   * started by then and are within their SLA), which ends a mid-journey exit and pushes its deadline.
   */
  private async touchOpenInstances(events: readonly (Event & { profileId: string })[]): Promise<void> {
    const open = await this.em.find(
      JourneyInstance,
      { tenantId: this.tenantId, profileId: { $in: [...new Set(events.map((e) => e.profileId))] }, state: { $in: ['active', 'stalled'] } },
      { refresh: true },
    );
    if (!open.length) return;
    const definitions = await this.definitions();
    let touched = false;
    for (const instance of open) {
      const spec = definitions.get(instance.definitionId)?.spec;
      if (!spec) continue;
      // one event after the other, the latest qualifying time wins: the same as taking the latest
      let at: Date | null = null;
      for (const e of events) {
        if (e.profileId !== instance.profileId) continue;
        const t = e.timestamp;
        if (t < instance.startedAt || t <= instance.lastSeenAt || t.getTime() - instance.startedAt.getTime() > spec.slaMs) continue;
        if (!at || t > at) at = t;
      }
      if (!at) continue;
      instance.lastSeenAt = at;
      instance.exitedAt = null;
      instance.nextCheckAt = nextJourneyCheckAt(spec, snapshot(instance));
      touched = true;
    }
    if (touched) await this.em.flush();
  }

  // ---- time ----------------------------------------------------------------------------------

  /**
   * Time-based journey detectors for this tenant at `now`: stall (no progress past a step SLA),
   * mid-journey exit (no event for the session timeout with the journey incomplete), abandonment
   * (journey SLA exceeded). Updates instance states (stalled/abandoned, exitedAt). Reads only
   * instances whose next deadline has come, in pages of `JOURNEY_SWEEP_PAGE`, at most
   * `JOURNEY_SWEEP_MAX_PAGES` pages per call. Each finding is returned once (see the class note);
   * `store`, when given, persists a page's findings inside that page's transaction.
   */
  async sweep(now: Date, store?: (em: EntityManager, findings: FrictionFinding[]) => Promise<void>): Promise<FrictionFinding[]> {
    const definitions = await this.definitions();
    const findings: FrictionFinding[] = [];
    const pg = this.em.getPlatform() instanceof PostgreSqlPlatform;
    for (let page = 0; page < JOURNEY_SWEEP_MAX_PAGES; page++) {
      const { count, changed } = await this.em.transactional(async (em) => {
        const pageFindings: FrictionFinding[] = [];
        const changed: JourneyInstance[] = [];
        const due = await em.find(
          JourneyInstance,
          { tenantId: this.tenantId, nextCheckAt: { $lte: now } },
          {
            orderBy: { nextCheckAt: 'asc', id: 'asc' },
            limit: JOURNEY_SWEEP_PAGE,
            refresh: true,
            // a concurrent sweep or replay holds its rows: leave them to it
            ...(pg ? { lockMode: LockMode.PESSIMISTIC_PARTIAL_WRITE } : {}),
          },
        );
        for (const instance of due) {
          const found = definitions.get(instance.definitionId);
          if (!found) {
            instance.nextCheckAt = null;
            continue;
          }
          const ctx = { profileId: instance.profileId, instanceId: instance.id, journeyId: found.def.id, journeyName: found.def.name };
          const result = detectTimeBasedFriction(found.spec, snapshot(instance), now, ctx);
          Object.assign(instance, result.patch);
          if (result.patch.state) changed.push(instance);
          // the domain guarantees a later time; null stops a bad row from being read every page
          instance.nextCheckAt = result.nextCheckAt && result.nextCheckAt > now ? result.nextCheckAt : null;
          findings.push(...result.findings);
          pageFindings.push(...result.findings);
        }
        // the state change and the signals it reports commit together: the sweep reports each
        // stall/exit/abandonment once, so storing them after the commit could lose one in a crash
        if (store && pageFindings.length) await store(em, pageFindings);
        await em.flush();
        return { count: due.length, changed };
      });
      await this.queueSnapshots(changed, 'current');
      if (count < JOURNEY_SWEEP_PAGE) break;
    }
    return findings;
  }

  /** Queues the snapshots of committed instances, when this service was given the queue. */
  private async queueSnapshots(instances: JourneyInstance[], scope: JourneySnapshotScope, unrecorded: FrictionFinding[] = []): Promise<void> {
    if (!this.activityQueue || !instances.length) return;
    const definitions = new Map([...(await this.definitions())].map(([id, { def }]) => [id, def]));
    await queueJourneySnapshots(this.activityQueue, this.em, this.tenantId, instances, definitions, { scope, unrecorded });
  }

  private definitions(): Promise<Map<string, { def: JourneyDefinition; spec: JourneySpec }>> {
    // once per service (one request or job): definitions change rarely, and never mid-job
    this.definitionsLoaded ??= this.listDefinitions().then((defs) => new Map(defs.map((def) => [def.id, { def, spec: def.toSpec() }])));
    return this.definitionsLoaded;
  }
}

/** Tenants with at least one open journey instance (one with a pending deadline): whom `sweep` is for. */
export async function tenantsWithActiveJourneys(em: EntityManager): Promise<string[]> {
  const rows = (await em
    .createQueryBuilder(JourneyInstance, 'i')
    .select('i.tenant_id', true)
    .where({ nextCheckAt: { $ne: null } })
    .execute('all', false)) as { tenant_id: string }[];
  return rows.map((r) => r.tenant_id).sort();
}

function snapshot(i: JourneyInstance): JourneyInstanceSnapshot {
  return {
    state: i.state,
    startedAt: i.startedAt,
    currentStep: i.currentStep,
    steps: i.stepTimes.map((s) => ({ key: s.key, reachedAt: new Date(s.reachedAt), eventId: s.eventId })),
    lastEventId: i.lastEventId,
    lastSeenAt: i.lastSeenAt,
    stalledStep: i.stalledStep,
    exitedAt: i.exitedAt,
  };
}

function withoutNulls<T extends object>(o: T): Partial<{ [K in keyof T]: NonNullable<T[K]> }> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as never;
}

function validate(input: JourneyDefinitionData & { steps?: unknown }): JourneySpec {
  try {
    return parseJourneyDefinition(input);
  } catch (err) {
    if (err instanceof JourneyDefinitionError) throw new AppError('BAD_USER_INPUT', err.message, { problems: err.problems });
    throw err;
  }
}

