import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { PROFILE_BATCH_MAX, SET_COMPUTED_TRAITS, STAGE_CONCURRENCY, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { acknowledgeScoreFollowUps } from '../../common/score-follow-ups-done';
import { forkForTenant } from '../../common/tenant-filter';
import { meterCompletedJobs } from '../../common/stage-meter';
import { parseComputedTraitsBatch } from '../domain/profile-batches';
import { ComputedTraitsService } from '../services/computed-traits.service';
import { queueSegmentEvaluationIfSegments } from '../services/segment-evaluations';

type SetComputedTraitsPayload = JobPayloads[typeof SET_COMPUTED_TRAITS];
type SetComputedTraitsDeps = Pick<SubgraphDeps, 'orm' | 'queues' | 'log' | 'redis' | 'config'>;

/**
 * Stores the computed traits of one batch another stage pushed (e.g. `risk.churnBucket` of every
 * profile a risk batch moved across a bucket) under their namespaces, set-based (see
 * `ComputedTraitsService.pushMany`), then queues one `evaluate-segments` job for the profiles
 * written, in the batch's lane, and acknowledges the risk scores the batch names to risk
 * (`score-follow-ups-done`). The lone form of an older job is still read. A malformed item is
 * left out and logged with its index and reason while the others are stored; so is an item whose
 * profile does not exist. Only a job with no item stored at all fails for good. Safe to run
 * twice: the writes replace the same keys, and the follow-up's job id derives from this job's id
 * and the profiles. Returns, per stored item, the profile written (null: no such profile).
 */
export async function setComputedTraits(
  job: Pick<Job<SetComputedTraitsPayload>, 'data' | 'id'>,
  deps: SetComputedTraitsDeps,
  now = new Date(),
): Promise<(string | null)[]> {
  const parsed = parseComputedTraitsBatch(job.data, PROFILE_BATCH_MAX);
  if (!parsed.ok) throw new UnrecoverableError(`set-computed-traits: malformed job ${job.id}: ${parsed.problems.join('; ')}`);
  const { tenantId, items, lane } = parsed.batch;
  for (const { index, reason } of parsed.dropped) deps.log.error({ tenantId, jobId: job.id, index, reason }, 'set-computed-traits: malformed item left out');

  const landed = await new ComputedTraitsService(forkForTenant(deps.orm, tenantId), tenantId).pushMany(items, now);
  const missing = landed.flatMap((id, i) => (id === null ? [items[i].profileId] : []));
  if (missing.length) deps.log.warn({ tenantId, jobId: job.id, profileIds: missing }, 'set-computed-traits: no such profile; items left out');
  const written = [...new Set(landed.filter((id): id is string => id !== null))];
  // stored (or no such profile, which a resend cannot change): risk may clear its marker. The
  // profiles' own segment marker is in SQL already, so a lost evaluate-segments job is swept too.
  await acknowledgeScoreFollowUps(deps.queues, tenantId, 'traits', parsed.batch.scoreIds ?? []);
  if (written.length === 0) throw new UnrecoverableError(`set-computed-traits: no profile of job ${job.id} exists`);
  await queueSegmentEvaluationIfSegments(deps, { tenantId, profileIds: written, ...(lane && { lane }) }, `traits-${job.id}`);
  deps.log.debug({ tenantId, jobId: job.id, profiles: written.length }, 'computed traits set');
  return landed;
}

/** Profiles (items) a job carries, for the stage meter. */
function itemsOf(data: SetComputedTraitsPayload): number {
  return 'items' in data && Array.isArray(data.items) ? data.items.length : 1;
}

export function startSetComputedTraitsWorker(deps: SubgraphDeps): Worker<SetComputedTraitsPayload> {
  const worker = new Worker<SetComputedTraitsPayload>(
    SET_COMPUTED_TRAITS,
    async (job) => void (await setComputedTraits(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'set-computed-traits worker error'));
  // the stage's rate is in profiles
  meterCompletedJobs(worker, deps, 'traits', itemsOf);
  deps.shutdown.defer(() => worker.close());
  return worker;
}
