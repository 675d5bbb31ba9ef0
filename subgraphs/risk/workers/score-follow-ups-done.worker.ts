import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { SCORE_FOLLOW_UPS_DONE, STAGE_CONCURRENCY, workerOptions, type ScoreFollowUpsDoneJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { RiskScoreRepository } from '../entities/risk-score.repository';

/**
 * A consumer (actions' `raise-alerts`, profiles' `set-computed-traits`) has stored the follow-ups
 * of these scores: clears that consumer's marker (`followUpPendingSince` or `traitsPendingSince`),
 * one UPDATE per chunk of ids. Until this runs, the score sweeper resends them once the marker is
 * older than the grace period. Safe to run twice; a malformed payload fails for good.
 */
export async function scoreFollowUpsDone(job: Pick<Job<ScoreFollowUpsDoneJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm'>): Promise<void> {
  const problem = payloadProblem(job.data);
  if (problem) throw new UnrecoverableError(`score-follow-ups-done: malformed job ${job.id}: ${problem}`);
  const { tenantId, consumer, scoreIds } = job.data;
  await new RiskScoreRepository(forkForTenant(deps.orm, tenantId), tenantId).followUpsDone(consumer, scoreIds);
}

function payloadProblem(data: ScoreFollowUpsDoneJob | undefined): string | null {
  if (!data || typeof data !== 'object') return 'no payload';
  if (typeof data.tenantId !== 'string' || !data.tenantId) return 'tenantId is required';
  if (data.consumer !== 'alerts' && data.consumer !== 'traits') return 'consumer must be alerts or traits';
  if (!Array.isArray(data.scoreIds)) return 'scoreIds must be an array';
  const bad = data.scoreIds.findIndex((id) => typeof id !== 'string' || !isUuid(id));
  return bad >= 0 ? `scoreIds[${bad}] must be a UUID` : null;
}

export function startScoreFollowUpsDoneWorker(deps: SubgraphDeps): Worker<ScoreFollowUpsDoneJob> {
  const worker = new Worker<ScoreFollowUpsDoneJob>(
    SCORE_FOLLOW_UPS_DONE,
    (job) => scoreFollowUpsDone(job, deps),
    workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'score-follow-ups-done worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
