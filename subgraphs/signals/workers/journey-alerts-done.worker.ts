import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { JOURNEY_ALERTS_DONE, STAGE_CONCURRENCY, workerOptions, type JourneyAlertsDoneJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { JourneyInstance } from '../entities/journey-instance.entity';

/**
 * Actions has evaluated its JOURNEY alert rules against these instances as of these markers:
 * clears each instance's `alertsPendingSince` if it is still that marker (a change since keeps
 * its own). Until this runs, `sweep-events` resends them once the marker is older than the grace
 * period. Safe to run twice; a malformed payload fails for good.
 */
export async function journeyAlertsDone(job: Pick<Job<JourneyAlertsDoneJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm'>): Promise<void> {
  const problem = payloadProblem(job.data);
  if (problem) throw new UnrecoverableError(`journey-alerts-done: malformed job ${job.id}: ${problem}`);
  const { tenantId, pending } = job.data;
  await forkForTenant(deps.orm, tenantId)
    .getRepository(JourneyInstance)
    .alertsDone(tenantId, pending.map((p) => ({ instanceId: p.instanceId, since: new Date(p.since) })));
}

function payloadProblem(data: JourneyAlertsDoneJob | undefined): string | null {
  if (!data || typeof data !== 'object') return 'no payload';
  if (typeof data.tenantId !== 'string' || !data.tenantId) return 'tenantId is required';
  if (!Array.isArray(data.pending)) return 'pending must be an array';
  const bad = data.pending.findIndex((p) => typeof p?.instanceId !== 'string' || !isUuid(p.instanceId) || typeof p.since !== 'string' || Number.isNaN(Date.parse(p.since)));
  return bad >= 0 ? `pending[${bad}] must be { instanceId: uuid, since: ISO time }` : null;
}

export function startJourneyAlertsDoneWorker(deps: SubgraphDeps): Worker<JourneyAlertsDoneJob> {
  const worker = new Worker<JourneyAlertsDoneJob>(JOURNEY_ALERTS_DONE, (job) => journeyAlertsDone(job, deps), workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY));
  worker.on('error', (err) => deps.log.error({ err }, 'journey-alerts-done worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
