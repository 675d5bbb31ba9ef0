import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { EVALUATE_SEGMENTS, SET_COMPUTED_TRAITS, STAGE_CONCURRENCY, workerOptions, type SetComputedTraitsJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { isComputedTraitNamespace } from '../domain/computed-traits';
import { ComputedTraitsService } from '../services/computed-traits.service';

type SetComputedTraitsDeps = Pick<SubgraphDeps, 'orm' | 'queues' | 'log'>;

/**
 * Stores computed traits another stage pushed (e.g. `risk.bucket`) under their namespace, then
 * asks for the profile's segments to be re-evaluated. Safe to run twice: the write is a
 * replacement of the same keys, and the follow-up's job id derives from this job's id.
 */
export async function setComputedTraits(
  job: Pick<Job<SetComputedTraitsJob>, 'data' | 'id'>,
  deps: SetComputedTraitsDeps,
): Promise<string> {
  const { tenantId, profileId, source, traits } = job.data ?? ({} as SetComputedTraitsJob);
  const problems = [
    typeof tenantId === 'string' && tenantId ? null : 'tenantId is required',
    typeof profileId === 'string' && isUuid(profileId) ? null : 'profileId must be a UUID',
    typeof source === 'string' && isComputedTraitNamespace(source) ? null : 'source must match [a-z][a-z0-9_]* and not be a built-in key',
    traits !== null && typeof traits === 'object' && !Array.isArray(traits) ? null : 'traits must be an object',
  ].filter((p) => p !== null);
  if (problems.length) throw new UnrecoverableError(`set-computed-traits: malformed job ${job.id}: ${problems.join('; ')}`);

  const profile = await new ComputedTraitsService(deps.orm.em.fork(), tenantId).push(profileId, source, traits);
  if (!profile) throw new UnrecoverableError(`set-computed-traits: profile ${profileId} not found`);
  await deps.queues
    .get(EVALUATE_SEGMENTS)
    .add(EVALUATE_SEGMENTS, { tenantId, profileId: profile.id }, { jobId: `${tenantId}-${profile.id}-${source}-${job.id}` });
  deps.log.debug({ tenantId, profileId: profile.id, source, jobId: job.id }, 'computed traits set');
  return profile.id;
}

export function startSetComputedTraitsWorker(deps: SubgraphDeps): Worker<SetComputedTraitsJob> {
  const worker = new Worker<SetComputedTraitsJob>(
    SET_COMPUTED_TRAITS,
    async (job) => void (await setComputedTraits(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'set-computed-traits worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
