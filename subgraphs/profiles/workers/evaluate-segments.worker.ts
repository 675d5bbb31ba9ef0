import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { EVALUATE_SEGMENTS, STAGE_CONCURRENCY, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { createSegmentService, type MembershipChanges } from '../services/segment.service';

type EvaluateSegmentsJob = JobPayloads[typeof EVALUATE_SEGMENTS];

/**
 * Re-evaluates every segment of the tenant for one profile that changed, recording entries and
 * exits at `now` and announcing them. Safe to run twice: a second run finds nothing to change.
 */
export async function evaluateSegments(
  job: Pick<Job<EvaluateSegmentsJob>, 'data' | 'id'>,
  deps: Pick<SubgraphDeps, 'orm' | 'pubSub' | 'queues' | 'log'>,
  now = new Date(),
): Promise<MembershipChanges> {
  const { tenantId, profileId } = job.data ?? ({} as EvaluateSegmentsJob);
  if (!tenantId || !profileId) throw new UnrecoverableError(`evaluate-segments: malformed job ${job.id}`);
  return createSegmentService(deps, tenantId).evaluateProfile(profileId, now);
}

export function startEvaluateSegmentsWorker(deps: SubgraphDeps): Worker<EvaluateSegmentsJob> {
  const worker = new Worker<EvaluateSegmentsJob>(
    EVALUATE_SEGMENTS,
    async (job) => void (await evaluateSegments(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'evaluate-segments worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
