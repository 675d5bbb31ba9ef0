import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { SCORE_PROFILE, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import type { RiskScore } from '../entities/risk-score.entity';
import { riskServiceFor } from '../services/risk-service-factory';
import { ScoringService } from '../services/scoring.service';

export type ScoreProfileJob = JobPayloads[typeof SCORE_PROFILE];

/**
 * Scores the profiles of a batch (`profileIds`) set-based, or one profile: see `scoreProfile`.
 * Returns each profile's current churn score.
 */
export async function scoreProfiles(
  job: Pick<Job<ScoreProfileJob>, 'data' | 'id'>,
  deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'pubSub' | 'config' | 'log' | 'redis'>,
  now = new Date(),
): Promise<Map<string, RiskScore>> {
  const { tenantId, profileId, profileIds, lane } = job.data ?? ({} as ScoreProfileJob);
  const ids = profileIds ?? [profileId];
  if (typeof tenantId !== 'string' || !tenantId || !Array.isArray(ids) || ids.length === 0 || !ids.every(isUuid)) throw new UnrecoverableError(`score-profile: malformed job ${job.id}`);
  const em = forkForTenant(deps.orm, tenantId);
  return new ScoringService(em, tenantId, riskServiceFor(deps, em, tenantId, lane === 'history' ? lane : undefined)).scoreProfiles(ids, now);
}

/**
 * Scores one profile as it is now with the tenant's active models (or the prior) and records the
 * score; `riskChanged` goes out when it moved. A replay scores again, which is harmless: the
 * second score equals the first and publishes nothing.
 */
export async function scoreProfile(job: Pick<Job<ScoreProfileJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'pubSub' | 'config' | 'log' | 'redis'>, now = new Date()): Promise<RiskScore> {
  const { tenantId, profileId } = job.data ?? ({} as ScoreProfileJob);
  if (typeof tenantId !== 'string' || !tenantId || !isUuid(profileId)) throw new UnrecoverableError(`score-profile: malformed job ${job.id}`);
  const em = forkForTenant(deps.orm, tenantId);
  return new ScoringService(em, tenantId, riskServiceFor(deps, em, tenantId)).scoreProfile(profileId, now);
}

export function startScoreProfileWorker(deps: SubgraphDeps): Worker<ScoreProfileJob> {
  const worker = new Worker<ScoreProfileJob>(
    SCORE_PROFILE,
    async (job) => void (await scoreProfiles(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix, 16),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'score-profile worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
