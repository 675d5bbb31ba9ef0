import type { EntityManager } from '../../common/orm';
import { PIPELINE_STAGES, STAGE_QUEUES, type PipelineStage } from '../../common/pipeline-stages';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { readStageRates, readStageTimings, type MeterSeries } from '../../common/stage-meter';
import { scannedJobOf, summarizePipelineLag, type PipelineLag, type QueueReading, type TenantInFlight } from '../domain/pipeline/pipeline-lag';
import { EventBacklogRepository } from '../entities/event-backlog.repository';
import { InFlightEvents } from './in-flight-events.service';
import { tenantLimits } from './ingest-guard.service';

/**
 * Jobs read per state (waiting, delayed, active) per queue when attributing queued work to
 * tenants, oldest first: a status read costs at most 3 × 50 job reads per queue, however long
 * the queues are. Beyond it a tenant's figures are marked `partial` (a lower bound).
 */
export const TENANT_SCAN_PER_STATE = 50;

/** A stage is caught up while nothing in it has waited longer than this, in ms. */
export const CAUGHT_UP_THRESHOLD_MS = 2_000;

/** The whole pipeline's lag and the listed tenants', with when it was read. */
export interface PipelineStatusReading extends PipelineLag {
  checkedAt: Date;
  thresholdMs: number;
}

/**
 * How far behind the pipeline is. Reads BullMQ's counts and a bounded scan of every stage's
 * queues (all subgraphs share Redis and the queue prefix, so the signals service sees them all),
 * the events table's unprocessed rows (the outbox) and its hand-off markers not yet acknowledged
 * (to risk, to actions' playbook runs), which survive a Redis flush, and the stage
 * meter's per-second counters and wait/run histograms; `summarizePipelineLag` makes the figures.
 */
export class PipelineStatusService {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: Pick<SubgraphDeps, 'queues' | 'redis' | 'config'>,
  ) {}

  /** `tenants`: the tenants to list (a caller's own), or `all` (operators: every tenant with pending work). */
  async status(tenants: readonly string[] | 'all', now: number = Date.now()): Promise<PipelineStatusReading> {
    const queueReads = PIPELINE_STAGES.flatMap((stage) => STAGE_QUEUES[stage].map((name) => this.readQueue(stage, name)));
    const series: MeterSeries[] = PIPELINE_STAGES.flatMap((stage) => [
      { stage, tenantId: null },
      ...(tenants === 'all' ? [] : tenants.map((tenantId) => ({ stage, tenantId }))),
    ]);
    // every tenant's backlog even for one tenant's view: the stage totals are platform-wide
    const backlogRepo = new EventBacklogRepository(this.em);
    const [queues, backlog, handOffs, perSecond, timings, inFlight] = await Promise.all([
      Promise.all(queueReads),
      backlogRepo.unprocessedByTenant(null),
      backlogRepo.handOffsByTenant(),
      readStageRates(this.deps.redis, this.deps.config.queuePrefix, series, now),
      readStageTimings(this.deps.redis, this.deps.config.queuePrefix, series, now),
      this.readInFlight(tenants),
    ]);
    const lag = summarizePipelineLag({
      stages: PIPELINE_STAGES,
      queues,
      backlog: backlog.map((b) => ({ tenantId: b.tenantId, unprocessed: b.unprocessed, oldestReceivedAt: b.oldestReceivedAt.getTime() })),
      handOffs,
      rates: series.map((s, i) => ({ ...s, perSecond: perSecond[i] })),
      timings: series.map((s, i) => ({ ...s, ...timings[i] })),
      inFlight,
      tenants,
      now,
      thresholdMs: CAUGHT_UP_THRESHOLD_MS,
    });
    return { ...lag, checkedAt: new Date(now), thresholdMs: CAUGHT_UP_THRESHOLD_MS };
  }

  /** Admission's in-flight counts (`InFlightEvents`) of the tenants listed, or of every tenant it counts, with their shares. */
  private async readInFlight(tenants: readonly string[] | 'all'): Promise<TenantInFlight[]> {
    const counter = new InFlightEvents(this.deps.redis, this.deps.config.queuePrefix);
    const counts = await counter.readMany(tenants === 'all' ? await counter.tenants() : tenants);
    return [...counts].map(([tenantId, { live, history }]) => ({ tenantId, live, history, maxInFlight: tenantLimits(this.deps.config.ingest, tenantId).maxInFlight }));
  }

  private async readQueue(stage: PipelineStage, name: (typeof STAGE_QUEUES)[PipelineStage][number]): Promise<QueueReading> {
    const queue = this.deps.queues.get(name);
    const [counts, jobs] = await Promise.all([
      queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed'),
      // oldest first in each state; a job removed meanwhile comes back undefined
      queue.getJobs(['waiting', 'prioritized', 'delayed', 'active'], 0, TENANT_SCAN_PER_STATE - 1, true),
    ]);
    const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
    const active = counts.active ?? 0;
    const delayed = counts.delayed ?? 0;
    return {
      stage,
      waiting,
      active,
      delayed,
      failed: counts.failed ?? 0,
      scanned: jobs.filter((job) => job).map((job) => scannedJobOf(job.data, job.timestamp)),
      complete: (counts.waiting ?? 0) <= TENANT_SCAN_PER_STATE && (counts.prioritized ?? 0) <= TENANT_SCAN_PER_STATE && active <= TENANT_SCAN_PER_STATE && delayed <= TENANT_SCAN_PER_STATE,
    };
  }
}
