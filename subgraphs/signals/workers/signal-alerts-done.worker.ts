import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { SIGNAL_ALERTS_DONE, STAGE_CONCURRENCY, workerOptions, type SignalAlertsDoneJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { Signal } from '../entities/signal.entity';

/**
 * Actions has evaluated its alert rules against these signals (`signal-alerts` committed): clears
 * their `alertsPendingSince`, one UPDATE per chunk of ids. Until this runs, `sweep-events` resends
 * them once the marker is older than the grace period. Safe to run twice; a malformed payload
 * fails for good.
 */
export async function signalAlertsDone(job: Pick<Job<SignalAlertsDoneJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm'>): Promise<void> {
  const problem = payloadProblem(job.data);
  if (problem) throw new UnrecoverableError(`signal-alerts-done: malformed job ${job.id}: ${problem}`);
  const { tenantId, signalIds } = job.data;
  await forkForTenant(deps.orm, tenantId).getRepository(Signal).alertsDone(tenantId, signalIds);
}

function payloadProblem(data: SignalAlertsDoneJob | undefined): string | null {
  if (!data || typeof data !== 'object') return 'no payload';
  if (typeof data.tenantId !== 'string' || !data.tenantId) return 'tenantId is required';
  if (!Array.isArray(data.signalIds)) return 'signalIds must be an array';
  const bad = data.signalIds.findIndex((id) => typeof id !== 'string' || !isUuid(id));
  return bad >= 0 ? `signalIds[${bad}] must be a UUID` : null;
}

export function startSignalAlertsDoneWorker(deps: SubgraphDeps): Worker<SignalAlertsDoneJob> {
  const worker = new Worker<SignalAlertsDoneJob>(SIGNAL_ALERTS_DONE, (job) => signalAlertsDone(job, deps), workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY));
  worker.on('error', (err) => deps.log.error({ err }, 'signal-alerts-done worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
