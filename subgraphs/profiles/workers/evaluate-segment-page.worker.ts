import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { EVALUATE_SEGMENT_PAGE, workerOptions, type EvaluateSegmentPageJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { createSegmentService } from '../services/segment.service';

/**
 * One page of a segment backfill or time re-check (at most `SEGMENT_PAGE_SIZE` profiles); the
 * page queues the next. `processingTime` is the evaluation time of a backfill page (a re-check
 * page carries its tick's time). Safe to run twice.
 */
export async function evaluateSegmentPage(
  job: Pick<Job<EvaluateSegmentPageJob>, 'data' | 'id'>,
  deps: Pick<SubgraphDeps, 'orm' | 'pubSub' | 'queues' | 'log'>,
  processingTime = new Date(),
): Promise<{ evaluated: number; next: string | null }> {
  const data = job.data ?? ({} as EvaluateSegmentPageJob);
  const wellFormed =
    typeof data.tenantId === 'string' &&
    (data.after === null || typeof data.after === 'string') &&
    ((data.kind === 'backfill' && typeof data.segmentId === 'string' && Number.isInteger(data.version)) ||
      (data.kind === 'recheck' && !Number.isNaN(Date.parse(data.now))));
  if (!wellFormed) throw new UnrecoverableError(`evaluate-segment-page: malformed job ${job.id}`);
  return createSegmentService(deps, data.tenantId).runPage(data, processingTime);
}

export function startEvaluateSegmentPageWorker(deps: SubgraphDeps): Worker<EvaluateSegmentPageJob> {
  const worker = new Worker<EvaluateSegmentPageJob>(
    EVALUATE_SEGMENT_PAGE,
    async (job) => void (await evaluateSegmentPage(job, deps)),
    // pages are big units of work: a few at a time leave room for per-profile evaluations
    workerOptions(deps.redis, deps.config.queuePrefix, 2),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'evaluate-segment-page worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
