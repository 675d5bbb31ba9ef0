import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { EVALUATE_SEGMENTS, PROFILE_BATCH_MAX, STAGE_CONCURRENCY, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { meterCompletedJobs } from '../../common/stage-meter';
import { parseEvaluateSegments } from '../domain/profile-batches';
import { createSegmentService, type MembershipChanges } from '../services/segment.service';

type EvaluateSegmentsPayload = JobPayloads[typeof EVALUATE_SEGMENTS];

/** Profiles evaluated per transaction: a chunk's locks and reads stay short, and SQLite's event loop breathes between chunks. */
export const EVALUATE_SEGMENTS_CHUNK = 100;

/**
 * Re-evaluates every segment of the tenant for the profiles of one batch (one job per resolve job
 * or `set-computed-traits` job; the lone form `{ tenantId, profileId }` of an older job is still
 * read), set-based, recording entries and exits at `now` and announcing them. A profile id that
 * is not a UUID is left out and logged; a job with none usable fails for good. Safe to run twice:
 * a second run finds nothing to change.
 */
export async function evaluateSegments(
  job: Pick<Job<EvaluateSegmentsPayload>, 'data' | 'id'>,
  deps: Pick<SubgraphDeps, 'orm' | 'pubSub' | 'queues' | 'log'>,
  now = new Date(),
): Promise<MembershipChanges> {
  const parsed = parseEvaluateSegments(job.data, PROFILE_BATCH_MAX);
  if (!parsed.ok) throw new UnrecoverableError(`evaluate-segments: malformed job ${job.id}: ${parsed.problems.join('; ')}`);
  const { tenantId, profileIds } = parsed.batch;
  for (const { index, reason } of parsed.dropped) deps.log.error({ tenantId, jobId: job.id, index, reason }, 'evaluate-segments: malformed profile id left out');
  return createSegmentService(deps, tenantId).evaluateProfiles(profileIds, now, EVALUATE_SEGMENTS_CHUNK);
}

/** Profiles a job carries, for the stage meter. */
function profilesOf(data: EvaluateSegmentsPayload): number {
  return 'profileIds' in data && Array.isArray(data.profileIds) ? data.profileIds.length : 1;
}

export function startEvaluateSegmentsWorker(deps: SubgraphDeps): Worker<EvaluateSegmentsPayload> {
  const worker = new Worker<EvaluateSegmentsPayload>(
    EVALUATE_SEGMENTS,
    async (job) => void (await evaluateSegments(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'evaluate-segments worker error'));
  // the stage's rate is in profiles evaluated
  meterCompletedJobs(worker, deps, 'segments', profilesOf);
  deps.shutdown.defer(() => worker.close());
  return worker;
}
