import { chunks } from '../../common/chunks';
import { addFairly, fairShareFor } from '../../common/fair-share';
import type { EntityManager } from '../../common/orm';
import { SIGNAL_DETECTED } from '../../common/pubsub';
import { JOURNEY_ALERTS, PLAYBOOK_EVENTS, RECORD_ACTIVITY, SIGNAL_ALERTS, STAGE_BATCH_MAX, type EventsResolvedBatch, type RecordActivityBatch, type RecordActivityJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { eventActivity, signalActivity, signalDetected, uniqueBy } from '../domain/events/activity-items';
import { batchReads, detectBatch, uniqueFindings, type BatchTrigger } from '../domain/friction/detect-batch';
import type { FrictionFinding } from '../domain/friction/finding';
import { Event } from '../entities/event.entity';
import { Signal } from '../entities/signal.entity';
import { followMerges } from './follow-merges';
import { FrictionService, toFrictionEvent } from './friction.service';
import { InFlightEvents } from './in-flight-events.service';
import { JourneyAlertsCollector } from './journey-alerts-handoff';
import { journeySnapshotJobId, type JourneySnapshotJob, type JourneySnapshotQueue } from './journey-snapshot';
import { JourneyService } from './journey.service';
import { holdPlaybookEvents, playbookEventsJobs } from './playbook-events-handoff';
import { holdSignalAlerts, queueSignalAlerts } from './signal-alerts-handoff';

export type ResolvedBatchDeps = Pick<SubgraphDeps, 'orm' | 'pubSub' | 'queues' | 'log' | 'redis' | 'config'>;

/** Lets other work run between the phases of a batch (SQLite statements run on the event loop). */
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What one batch did (tests and logs). */
export interface ResolvedBatchOutcome {
  /** Events of the batch found in the tenant. */
  events: number;
  /** Every finding of the batch, one per dedupe key. */
  findings: FrictionFinding[];
  /** The `record-activity` job handed on (null: no event of the batch has a profile). */
  handedOn: { jobId: string; data: RecordActivityBatch } | null;
  /** Events without a profile: their hand-off ended here, so the handed-on watermark may have moved. */
  unattributed: number;
}

/**
 * The signals stage for one `event-resolved` batch, set-based: takes the events over (one
 * UPDATE), reads them (one query), advances journeys (a replay only for the events a journey
 * matches, one read of open instances), reads the batch profiles' events in the detectors'
 * windows and their reported signals (one query each), detects in memory (`detectBatch`), stores
 * new signals (one multi-row insert, one read back), then hands the risk stage ONE
 * `record-activity` job (every event with a profile, including identify/group traits, the
 * signals and the journey snapshots), hands the actions stage ONE `signal-alerts` job (its
 * FRICTION_SIGNAL alert rules), ONE `journey-alerts` job (its JOURNEY rules) and ONE `playbook-events`
 * job (the runs waiting for one of its named events), and announces the new signals. The hand-off of the events
 * that went to risk stays pending until risk acknowledges them (`activity-recorded`).
 *
 * Safe to run twice: writes are keyed (dedupe keys, job ids), and a job that dies before the
 * hand-off, or whose `record-activity` job is lost before risk stored it, leaves its events
 * pending (`handOffPendingSince`) for the sweeper to re-drive.
 * Returns null when no event of the batch exists in the tenant.
 */
export async function processResolvedBatch(batch: EventsResolvedBatch, deps: ResolvedBatchDeps): Promise<ResolvedBatchOutcome | null> {
  const { tenantId } = batch;
  const em: EntityManager = forkForTenant(deps.orm, tenantId);
  const refs = uniqueBy(await followMerges(em, tenantId, batch.events), (r) => r.eventId);
  const eventRepo = em.getRepository(Event);
  const signalRepo = em.getRepository(Signal);
  const now = new Date();

  await eventRepo.takeOver(tenantId, refs, now);
  const byId = new Map((await eventRepo.byIds(tenantId, refs.map((r) => r.eventId))).map((e) => [e.id, e]));
  if (!byId.size) return null;
  const events = refs.flatMap((r) => byId.get(r.eventId) ?? []);
  const owned = events.filter((e): e is Event & { profileId: string } => e.profileId !== null);
  await breathe();
  // unnamed events (identify, alias, group) feed no detector and move no journey
  const named = owned.filter((e) => e.name !== null);

  // journeys: snapshots are collected into the batch's hand-off instead of queued one by one
  const snapshots: JourneySnapshotJob[] = [];
  const collector: JourneySnapshotQueue = {
    addBulk: async (jobs) => {
      for (const job of jobs) snapshots.push(job.data as JourneySnapshotJob);
      return [];
    },
  };
  // and the instances they changed, for the actions stage's JOURNEY rules (one job per pass)
  const journeyAlerts = new JourneyAlertsCollector();
  const journeyFindings = await new JourneyService(em, tenantId, collector, journeyAlerts).advanceBatch(named);

  await breathe();
  const rules = await new FrictionService(em, tenantId).tenantRules();
  const triggers: BatchTrigger[] = named.map((e, i) => ({ profileId: e.profileId, event: toFrictionEvent(e), journeyFindings: journeyFindings[i] }));
  const reads = batchReads(triggers, rules.config);
  const findings = uniqueFindings(
    detectBatch(triggers, {
      config: rules.config,
      journeyFailureEvents: rules.journeyFailureEvents,
      events: await eventRepo.inWindows(tenantId, reads),
      reported: await signalRepo.reportedIn(tenantId, reads.profileIds, reads.signals),
    }),
  );
  await breathe();
  const stored = await signalRepo.storeOnce(tenantId, findings, now);
  const unannounced = stored.filter((s) => !s.announcedAt);

  const items: RecordActivityJob[] = [
    ...owned.map((e) => eventActivity(tenantId, e)),
    ...uniqueBy(snapshots, journeySnapshotJobId),
    ...stored.map((s) => signalActivity(tenantId, s)),
  ];
  let handedOn: ResolvedBatchOutcome['handedOn'] = null;
  // a re-sent batch (the sweeper's) gets job ids of its own: the first ones may still be kept
  // in Redis as completed, and the point of re-sending is that risk stores the batch and says so
  const resend = batch.resend ? `-${batch.resend}` : '';
  if (items.length) {
    // risk takes at most STAGE_BATCH_MAX items a job: a swept batch of 500 events with its signals
    // and snapshots goes out as several jobs (the first keeps the batch's id)
    const jobs = chunks(items, STAGE_BATCH_MAX).map((part, i) => ({
      name: RECORD_ACTIVITY,
      data: { tenantId, items: part, ...(batch.lane && { lane: batch.lane }) } as RecordActivityBatch,
      opts: { jobId: `${tenantId}-batch-${refs[0].eventId}-${refs[refs.length - 1].eventId}${resend}${i ? `-part${i}` : ''}` },
    }));
    await addFairly(deps.queues.get(RECORD_ACTIVITY), fairShareFor(deps), jobs, (b) => b.tenantId, batch.lane);
    handedOn = { jobId: jobs[0].opts.jobId, data: jobs[0].data };
  }
  // the actions stage moves on the playbook runs waiting for one of these events (held with the
  // process's other passes for the ack window, then one job; a sweeper's re-send goes at once; a
  // run whose event never arrives follows its timeout branch). The take-over marked them pending
  // (`playbookEventsPendingSince`) until actions acknowledges, so a lost job is swept again
  if (batch.resend) await addFairly(deps.queues.get(PLAYBOOK_EVENTS), fairShareFor(deps), playbookEventsJobs(tenantId, named, batch.resend), (b) => b.tenantId, batch.lane);
  else await holdPlaybookEvents(deps.queues, fairShareFor(deps), tenantId, named, batch.lane);
  // the actions stage evaluates its FRICTION_SIGNAL rules against the pass's signals (held with
  // the process's other passes for the ack window, then one job; a sweeper's re-send goes at once);
  // each keeps `alertsPendingSince` until actions acknowledges, so a lost job is swept again
  if (batch.resend) await queueSignalAlerts(deps.queues.get(SIGNAL_ALERTS), tenantId, stored, batch.resend);
  else await holdSignalAlerts(deps.queues, tenantId, stored);
  await journeyAlerts.flush(deps.queues.get(JOURNEY_ALERTS), tenantId, batch.resend);
  // events that went to risk stay pending until risk acknowledges them (`activity-recorded`);
  // an event without a profile goes nowhere, its hand-off is done
  const unattributed = events.filter((e) => e.profileId === null).map((e) => e.id);
  const done = await eventRepo.handedOn(tenantId, unattributed);
  // admission counts them no longer; a lost update is corrected by the sweeper's reconcile
  await new InFlightEvents(deps.redis, deps.config.queuePrefix)
    .settle(tenantId, batch.lane ?? 'live', done)
    .catch((err: unknown) => deps.log.warn({ err, tenantId }, 'in-flight count not lowered'));
  await signalRepo.announced(tenantId, unannounced.map((s) => s.id), new Date());
  for (const signal of unannounced) deps.pubSub.publish(SIGNAL_DETECTED, tenantId, signalDetected(tenantId, signal));
  if (unannounced.length) deps.log.info({ tenantId, signals: unannounced.length }, 'friction signals recorded');
  return { events: events.length, findings, handedOn, unattributed: unattributed.length };
}
