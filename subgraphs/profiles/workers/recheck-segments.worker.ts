import { Worker, type Job } from 'bullmq';

import { EVALUATE_SEGMENT_PAGE, RECHECK_SEGMENTS, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkAcrossTenants } from '../../common/tenant-filter';
import { tenantsWithTimeBasedSegments } from '../services/segment.service';

type RecheckSegmentsJob = JobPayloads[typeof RECHECK_SEGMENTS];

/** Id of the BullMQ job scheduler that fires the re-check; one per queue prefix, whatever the instance count. */
export const RECHECK_SCHEDULER_ID = 'recheck-segments-every';

/**
 * A tick of the scheduled re-check: starts one page chain per tenant with time-based segments,
 * all evaluated at `now`. Safe to run twice: page job ids carry the tenant and the tick time.
 */
export async function recheckSegments(
  _job: Pick<Job<RecheckSegmentsJob>, 'id'>,
  deps: Pick<SubgraphDeps, 'orm' | 'queues'>,
  now = new Date(),
): Promise<string[]> {
  const tenants = await tenantsWithTimeBasedSegments(forkAcrossTenants(deps.orm));
  if (tenants.length === 0) return tenants;
  await deps.queues.get(EVALUATE_SEGMENT_PAGE).addBulk(
    tenants.map((tenantId) => ({
      name: EVALUATE_SEGMENT_PAGE,
      data: { kind: 'recheck' as const, tenantId, now: now.toISOString(), after: null },
      opts: { jobId: `${tenantId}-recheck-${now.getTime()}-start` },
    })),
  );
  return tenants;
}

/**
 * Upserts the job scheduler (every `config.segments.recheckIntervalMs`; idempotent across
 * instances and restarts) and starts the worker that handles its ticks.
 */
export async function startRecheckSegmentsWorker(deps: SubgraphDeps): Promise<Worker<RecheckSegmentsJob>> {
  await deps.queues
    .get(RECHECK_SEGMENTS)
    .upsertJobScheduler(RECHECK_SCHEDULER_ID, { every: deps.config.segments.recheckIntervalMs }, { name: RECHECK_SEGMENTS, data: {} });
  const worker = new Worker<RecheckSegmentsJob>(
    RECHECK_SEGMENTS,
    async (job) => void (await recheckSegments(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix, 1),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'recheck-segments worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
