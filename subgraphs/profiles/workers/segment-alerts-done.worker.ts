import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { SEGMENT_ALERTS_DONE, STAGE_CONCURRENCY, workerOptions, type SegmentAlertsDoneJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { SegmentMembership } from '../entities/segment-membership.entity';

/**
 * Actions has evaluated its SEGMENT alert rules against these entries and exits: clears their
 * alerts hand-off markers. Until this runs, `sweep-profiles` resends them once the marker is older
 * than the grace period. Safe to run twice; a malformed payload fails for good.
 */
export async function segmentAlertsDone(job: Pick<Job<SegmentAlertsDoneJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm'>): Promise<void> {
  const problem = payloadProblem(job.data);
  if (problem) throw new UnrecoverableError(`segment-alerts-done: malformed job ${job.id}: ${problem}`);
  const { tenantId, changes } = job.data;
  await forkForTenant(deps.orm, tenantId).getRepository(SegmentMembership).alertsDone(tenantId, changes);
}

function payloadProblem(data: SegmentAlertsDoneJob | undefined): string | null {
  if (!data || typeof data !== 'object') return 'no payload';
  if (typeof data.tenantId !== 'string' || !data.tenantId) return 'tenantId is required';
  if (!Array.isArray(data.changes)) return 'changes must be an array';
  const bad = data.changes.findIndex((c) => typeof c?.membershipId !== 'string' || !isUuid(c.membershipId) || (c.change !== 'entered' && c.change !== 'exited'));
  return bad >= 0 ? `changes[${bad}] must be { membershipId: uuid, change: entered | exited }` : null;
}

export function startSegmentAlertsDoneWorker(deps: SubgraphDeps): Worker<SegmentAlertsDoneJob> {
  const worker = new Worker<SegmentAlertsDoneJob>(SEGMENT_ALERTS_DONE, (job) => segmentAlertsDone(job, deps), workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY));
  worker.on('error', (err) => deps.log.error({ err }, 'segment-alerts-done worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
