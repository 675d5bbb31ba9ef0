// How far behind each stage of the pipeline is, overall and per tenant, from what was read of the
// queues and the events table. Pure: the service reads, this decides.
import type { PipelineStage } from '../../../common/pipeline-stages';

/** A job seen while scanning a queue: whose it is, how many events it carries, when it was queued. */
export interface ScannedJob {
  /** `data.tenantId`; null for a job without one (a scheduler tick). */
  tenantId: string | null;
  /** Events (or activity items) in the job: a batch job carries many, a per-event job one. */
  events: number;
  /** When the job was created, ms since the epoch (BullMQ `job.timestamp`). */
  createdAt: number;
}

/** What was read of one queue. */
export interface QueueReading {
  stage: PipelineStage;
  /** BullMQ job counts (`waiting` includes prioritized jobs). */
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** The jobs scanned (waiting, delayed and active; at most a bound per state, oldest first). */
  scanned: readonly ScannedJob[];
  /** True when the scan saw every waiting, delayed and active job. */
  complete: boolean;
}

/** One tenant's stored events not yet processed (the resolve stage's durable backlog). */
export interface StoredBacklog {
  tenantId: string;
  unprocessed: number;
  /** When the oldest of them was received, ms since the epoch. */
  oldestReceivedAt: number;
}

/**
 * One tenant's events handed on to a stage and not yet acknowledged by it, as marked in the events
 * table (so it survives a Redis flush): `risk` = taken over by detect, not yet recorded and scored
 * (`hand_off_pending_since`); `alerts` = handed to actions for the playbook runs waiting on them,
 * not yet matched (`playbook_events_pending_since`).
 */
export interface StoredHandOff {
  stage: PipelineStage;
  tenantId: string;
  pending: number;
  /** When the oldest of them was handed on (its marker), ms since the epoch. */
  oldestPendingSince: number;
}

/** A metered rate: events per second over the last minute of a stage, overall (`tenantId` null) or of one tenant. */
export interface StageRate {
  stage: PipelineStage;
  tenantId: string | null;
  perSecond: number;
}

/** A stage's metered wait and run times over the last minute (p50/p99 in ms, null when no job finished), overall (`tenantId` null) or of one tenant. */
export interface StageTiming {
  stage: PipelineStage;
  tenantId: string | null;
  waitP50Ms: number | null;
  waitP99Ms: number | null;
  runP50Ms: number | null;
  runP99Ms: number | null;
}

/** The wait and run percentiles of a stage (or a tenant's share of it). */
export interface WaitFigures {
  /** How long its jobs waited in the queue before a worker took them, over the last minute: median and 99th percentile in ms; null when none finished. */
  waitP50Ms: number | null;
  waitP99Ms: number | null;
  /** How long its jobs (or passes) ran, over the last minute, in ms; null when none finished. */
  runP50Ms: number | null;
  runP99Ms: number | null;
}

export interface StageLag extends WaitFigures {
  stage: PipelineStage;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  /** `resolve` only: stored events not yet processed (from SQL, so it survives a Redis flush); null for the other stages. */
  unprocessedEvents: number | null;
  /** `risk` and `alerts`: events handed on to the stage and not yet acknowledged by it (from SQL, see `StoredHandOff`); null for the other stages. */
  handedOnEvents: number | null;
  /** Age in ms of the oldest job waiting, delayed or running (for `resolve`, also of the oldest unprocessed stored event; for `risk` and `alerts`, of the oldest hand-off not acknowledged); null when there is none. */
  oldestWaitingAgeMs: number | null;
  eventsPerSecond: number;
  /** Nothing in the stage older than the threshold. */
  caughtUp: boolean;
}

export interface TenantStageLag extends WaitFigures {
  stage: PipelineStage;
  /** The tenant's events in the stage: for `resolve` the unprocessed stored events; for `risk` and `alerts` the larger of its scanned jobs' events and its hand-offs not acknowledged (SQL); else the events of its scanned jobs. */
  pendingEvents: number;
  oldestWaitingAgeMs: number | null;
  eventsPerSecond: number;
  caughtUp: boolean;
  /** The scan of the stage's queues stopped at its bound: `pendingEvents` is a lower bound. */
  partial: boolean;
}

/** A tenant's end-to-end lag as admission counts it: events accepted but not yet acknowledged by risk, per lane, and its share. */
export interface TenantInFlight {
  tenantId: string;
  live: number;
  history: number;
  /** Its share per lane (`INGEST_TENANT_MAX_IN_FLIGHT` or its own limit). */
  maxInFlight: number;
}

export interface TenantLag {
  tenantId: string;
  caughtUp: boolean;
  stages: TenantStageLag[];
  /** Live events accepted, not yet acknowledged by risk (admission's count); 0 when unknown. */
  inFlightEvents: number;
  /** The same for the history lane. */
  inFlightHistoryEvents: number;
  /** Its share per lane; null when not given. */
  maxInFlightEvents: number | null;
}

export interface PipelineLag {
  caughtUp: boolean;
  stages: StageLag[];
  tenants: TenantLag[];
}

export interface PipelineLagInput {
  stages: readonly PipelineStage[];
  queues: readonly QueueReading[];
  /** Every tenant's stored backlog (not only the listed tenants': the stage totals need them all). */
  backlog: readonly StoredBacklog[];
  /** Every tenant's hand-offs not acknowledged, per stage (SQL markers); none given reads as none. */
  handOffs?: readonly StoredHandOff[];
  rates: readonly StageRate[];
  /** Metered wait and run times; a series not given reads as no job finished. */
  timings?: readonly StageTiming[];
  /** Admission's in-flight counts of the listed tenants; a tenant not given reads as 0, share unknown. */
  inFlight?: readonly TenantInFlight[];
  /** The tenants to list: these (each listed, even with nothing pending), or `all` with anything pending. */
  tenants: readonly string[] | 'all';
  /** ms since the epoch. */
  now: number;
  /** A stage is caught up while nothing in it is older than this, in ms. */
  thresholdMs: number;
}

/**
 * Per stage and per tenant: backlog, age of the oldest pending work, rate and `caughtUp`. A
 * tenant's stage is caught up when none of its pending work is older than the threshold; when
 * the scan was partial (its jobs may be beyond the bound), only when the whole stage is.
 */
export function summarizePipelineLag(input: PipelineLagInput): PipelineLag {
  const { now, thresholdMs } = input;
  const within = (age: number | null) => age === null || age <= thresholdMs;
  const ageOf = (at: number | null) => (at === null ? null : Math.max(0, now - at));
  const rateOf = (stage: PipelineStage, tenantId: string | null) =>
    input.rates.find((r) => r.stage === stage && r.tenantId === tenantId)?.perSecond ?? 0;
  const timingOf = (stage: PipelineStage, tenantId: string | null): WaitFigures => {
    const t = input.timings?.find((r) => r.stage === stage && r.tenantId === tenantId);
    return { waitP50Ms: t?.waitP50Ms ?? null, waitP99Ms: t?.waitP99Ms ?? null, runP50Ms: t?.runP50Ms ?? null, runP99Ms: t?.runP99Ms ?? null };
  };

  const handOffsOf = (stage: PipelineStage) => (input.handOffs ?? []).filter((h) => h.stage === stage);

  const stages: StageLag[] = input.stages.map((stage) => {
    const queues = input.queues.filter((q) => q.stage === stage);
    const sum = (key: 'waiting' | 'active' | 'delayed' | 'failed') => queues.reduce((acc, q) => acc + q[key], 0);
    let oldest = minOf(queues.flatMap((q) => q.scanned.map((j) => j.createdAt)));
    let unprocessedEvents: number | null = null;
    if (stage === 'resolve') {
      unprocessedEvents = input.backlog.reduce((acc, b) => acc + b.unprocessed, 0);
      oldest = minOf([oldest, ...input.backlog.map((b) => b.oldestReceivedAt)]);
    }
    let handedOnEvents: number | null = null;
    if (HAND_OFF_STAGES.includes(stage)) {
      // a hand-off whose job Redis lost is still marked: the stage is behind until it is acknowledged
      const handOffs = handOffsOf(stage);
      handedOnEvents = handOffs.reduce((acc, h) => acc + h.pending, 0);
      oldest = minOf([oldest, ...handOffs.map((h) => h.oldestPendingSince)]);
    }
    const oldestWaitingAgeMs = ageOf(oldest);
    return {
      stage,
      waiting: sum('waiting'),
      active: sum('active'),
      delayed: sum('delayed'),
      failed: sum('failed'),
      unprocessedEvents,
      handedOnEvents,
      oldestWaitingAgeMs,
      eventsPerSecond: rateOf(stage, null),
      ...timingOf(stage, null),
      caughtUp: within(oldestWaitingAgeMs),
    };
  });

  const tenantIds =
    input.tenants === 'all'
      ? [
          ...new Set([
            ...input.backlog.map((b) => b.tenantId),
            ...(input.handOffs ?? []).map((h) => h.tenantId),
            ...input.queues.flatMap((q) => q.scanned.map((j) => j.tenantId)).filter((t): t is string => t !== null),
            ...(input.inFlight ?? []).filter((f) => f.live + f.history > 0).map((f) => f.tenantId),
          ]),
        ].sort()
      : [...input.tenants];

  const tenants: TenantLag[] = tenantIds.map((tenantId) => {
    const perStage: TenantStageLag[] = stages.map((total) => {
      const { stage } = total;
      if (stage === 'resolve') {
        const stored = input.backlog.find((b) => b.tenantId === tenantId);
        const age = ageOf(stored?.oldestReceivedAt ?? null);
        return {
          stage,
          pendingEvents: stored?.unprocessed ?? 0,
          oldestWaitingAgeMs: age,
          eventsPerSecond: rateOf(stage, tenantId),
          ...timingOf(stage, tenantId),
          caughtUp: within(age),
          partial: false,
        };
      }
      const queues = input.queues.filter((q) => q.stage === stage);
      const jobs = queues.flatMap((q) => q.scanned.filter((j) => j.tenantId === tenantId));
      const partial = queues.some((q) => !q.complete);
      // the marked hand-offs include the events of the tenant's queued jobs (each keeps its marker
      // until acknowledged) and those of jobs Redis lost: the larger count and the older age
      const handOff = handOffsOf(stage).find((h) => h.tenantId === tenantId);
      const age = ageOf(minOf([...jobs.map((j) => j.createdAt), handOff?.oldestPendingSince ?? null]));
      return {
        stage,
        pendingEvents: Math.max(jobs.reduce((acc, j) => acc + j.events, 0), handOff?.pending ?? 0),
        oldestWaitingAgeMs: age,
        eventsPerSecond: rateOf(stage, tenantId),
        ...timingOf(stage, tenantId),
        caughtUp: within(age) && (!partial || total.caughtUp),
        partial,
      };
    });
    const own = input.inFlight?.find((f) => f.tenantId === tenantId);
    return {
      tenantId,
      caughtUp: perStage.every((s) => s.caughtUp),
      stages: perStage,
      inFlightEvents: own?.live ?? 0,
      inFlightHistoryEvents: own?.history ?? 0,
      maxInFlightEvents: own?.maxInFlight ?? null,
    };
  });

  return { caughtUp: stages.every((s) => s.caughtUp), stages, tenants };
}

/** The stages whose hand-offs are marked in the events table (see `StoredHandOff`). */
const HAND_OFF_STAGES: readonly PipelineStage[] = ['risk', 'alerts'];

function minOf(values: readonly (number | null)[]): number | null {
  let min: number | null = null;
  for (const v of values) if (v !== null && (min === null || v < min)) min = v;
  return min;
}

/**
 * A scanned job from its payload: batch jobs carry `events` (resolve, event-resolved, playbook-events), `items`
 * (record-activity, set-computed-traits), `profileIds` (evaluate-segments), `signals` (signal-alerts)
 * or `states` (journey-alerts), counted by length;
 * any other job counts as one event.
 */
export function scannedJobOf(data: unknown, createdAt: number): ScannedJob {
  const payload = (typeof data === 'object' && data !== null ? data : {}) as { tenantId?: unknown; events?: unknown; items?: unknown; profileIds?: unknown; signals?: unknown; states?: unknown };
  const list = [payload.events, payload.items, payload.profileIds, payload.signals, payload.states].find(Array.isArray);
  const events = list ? list.length : 1;
  return { tenantId: typeof payload.tenantId === 'string' ? payload.tenantId : null, events, createdAt };
}
