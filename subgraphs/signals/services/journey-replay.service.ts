import { PostgreSqlPlatform } from '@mikro-orm/postgresql';

import type { EntityManager } from '../../common/orm';
import type { FrictionFinding } from '../domain/friction/finding';
import type { JourneySpec } from '../domain/journeys/definition';
import { instanceSnapshot } from '../domain/journeys/instance-snapshot';
import {
  matchJourneyEvent,
  partitionJourneyEvents,
  replayJourney,
  stepDurations,
  stepIndex,
  type JourneyEventRecord,
} from '../domain/journeys/progress';
import { detectJourneyRetryLoops, retryLoopFinding, type JourneyFindingContext } from '../domain/journeys/retry-loop';
import { nextJourneyCheckAt } from '../domain/journeys/time-based';
import type { Event } from '../entities/event.entity';
import type { JourneyDefinition } from '../entities/journey-definition.entity';
import { JourneyEvent } from '../entities/journey-event.entity';
import { JourneyInstance } from '../entities/journey-instance.entity';
import { JourneyStepTime } from '../entities/journey-step.entity';
import type { JourneyDefinitionService } from './journey-definition.service';
import type { JourneyAlertsSink } from './journey-alerts-handoff';
import { queueJourneySnapshots, type JourneySnapshotQueue } from './journey-snapshot';

/** Most matched events one replay reads (from the start of the instance the event falls in). */
const REPLAY_LIMIT = 5000;

/**
 * Advances one tenant's journey instances by events: each matched event replays its journey for
 * the profile from the instance it falls in, so late and out-of-order events land where they
 * belong. Idempotent per event id: a replay changes nothing and returns the same findings, so a
 * job that crashed before recording them finds them again. Given the `record-activity` queue, it
 * queues every state the replayed instances have been in once the replay is committed.
 */
export class JourneyReplayService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly definitions: JourneyDefinitionService,
    /** The `record-activity` producer; without it no snapshot is queued (admin requests, tests). */
    private readonly activityQueue?: JourneySnapshotQueue,
    /** Where the instances it changed go for JOURNEY alert rules; without it they wait for the sweeper. */
    private readonly alertsSink?: JourneyAlertsSink,
  ) {}

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
    const definitions = await this.definitions.specs();
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
      // serialises replays of one (journey, profile) even before any instance row exists to lock
      if (em.getPlatform() instanceof PostgreSqlPlatform) {
        await em.execute('select pg_advisory_xact_lock(hashtextextended(?, 0))', [`journey:${tenantId}:${def.id}:${profileId}`]);
      }
      const matched = em.getRepository(JourneyEvent);
      const instanceRepo = em.getRepository(JourneyInstance);
      const stepTimes = em.getRepository(JourneyStepTime);
      await matched.recordOnce(
        em.create(JourneyEvent, { ...scope, eventId: event.id, eventName: event.name ?? '', timestamp: event.timestamp, ...match }, { persist: false }),
      );

      // only the instance the event falls in and later ones can change: an instance starts only
      // when none is open, so nothing before the latest start at or before the event is affected
      const prior = await instanceRepo.latestStartedBy(scope, event.timestamp);
      const from = prior?.startedAt ?? event.timestamp;
      const stored = await matched.from(scope, from, REPLAY_LIMIT);
      const instances = await instanceRepo.startedFrom(scope, from);
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
        applyProgress(spec, instance, progress);
        await stepTimes.deleteOfInstance(tenantId, instance.id);
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
        // the alerts hand-off is owed from this commit on (a new time: an older acknowledgement no longer clears it)
        instance.alertsPendingSince = new Date();
        replayed.push(instance);
      }
      // instances whose start event now lies inside an earlier instance (it started late)
      for (const gone of unused) {
        await stepTimes.deleteOfInstance(tenantId, gone.id);
        em.remove(gone);
      }
      await em.flush();
      return findings;
    });
    // committed: the retry loops just found are not stored yet (the caller records them next)
    if ((this.activityQueue || this.alertsSink) && replayed.length) {
      const definitions = new Map([...(await this.definitions.specs())].map(([id, { def }]) => [id, def]));
      if (this.activityQueue) await queueJourneySnapshots(this.activityQueue, this.em, tenantId, replayed, definitions, { scope: 'history', unrecorded: result });
      await this.alertsSink?.changed(replayed, definitions);
    }
    return result;
  }

  /**
   * Session activity: any event of the profile moves `lastSeenAt` of its open instances (that
   * started by then and are within their SLA), which ends a mid-journey exit and pushes its deadline.
   */
  private async touchOpenInstances(events: readonly (Event & { profileId: string })[]): Promise<void> {
    const open = await this.em.getRepository(JourneyInstance).openOf(
      this.tenantId,
      events.map((e) => e.profileId),
    );
    if (!open.length) return;
    const definitions = await this.definitions.specs();
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
      instance.nextCheckAt = nextJourneyCheckAt(spec, instanceSnapshot(instance));
      touched = true;
    }
    if (touched) await this.em.flush();
  }
}

/** Event-derived fields from a replay; time-based marks are kept unless progress makes them moot. */
function applyProgress(spec: JourneySpec, instance: JourneyInstance, progress: ReturnType<typeof replayJourney>): void {
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
  instance.nextCheckAt = nextJourneyCheckAt(spec, instanceSnapshot(instance));
}
