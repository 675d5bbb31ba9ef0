import type { EntityClass } from '@mikro-orm/core';
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';

import { isUuid } from './ids';
import type { EntityManager } from './orm';
import { ProfileAliases, type ProfileAliasRow } from './profile-aliases';
import { workerOptions, type PROFILE_MERGED_ACTIONS, type PROFILE_MERGED_SIGNALS, type ProfileMergedJob } from './queues';
import type { SubgraphDeps } from './run-subgraph';
import { forkForTenant } from './tenant-filter';

/** The notice's payload, checked: a malformed one (a bug in the sender) fails for good. */
export function checkedMergeNotice(job: Pick<Job<ProfileMergedJob>, 'data' | 'id' | 'name'>): ProfileMergedJob {
  const { tenantId, profileId, mergedProfileId } = job.data ?? ({} as ProfileMergedJob);
  if (typeof tenantId !== 'string' || !tenantId || typeof profileId !== 'string' || !isUuid(profileId) || typeof mergedProfileId !== 'string' || !isUuid(mergedProfileId)) {
    throw new UnrecoverableError(`${job.name}: malformed job ${job.id}`);
  }
  return { tenantId, profileId, mergedProfileId };
}

/** Job name of a merge notice's second pass. */
export const MERGE_RECHECK = 'recheck';

/**
 * How long after a merge its second pass runs (ms): longer than any batch that looked up the
 * aliases just before the merge was recorded takes to commit, so rows such a batch wrote under
 * the old id are moved too.
 */
export const MERGE_RECHECK_DELAY_MS = 60_000;

/**
 * Queues the second pass of a merge notice (the same payload, job id `<notice id>-recheck`,
 * delayed `MERGE_RECHECK_DELAY_MS`); the pass itself queues nothing. Re-pointing is idempotent,
 * so the pass only moves what a concurrent writer put under the old id in between.
 */
export async function queueMergeRecheck(
  queue: Pick<Queue<ProfileMergedJob>, 'add'>,
  job: Pick<Job<ProfileMergedJob>, 'data' | 'id' | 'name'>,
): Promise<void> {
  if (job.name === MERGE_RECHECK) return;
  await queue.add(MERGE_RECHECK, job.data, { jobId: `${job.id}-recheck`, delay: MERGE_RECHECK_DELAY_MS });
}

/**
 * The shared half of a merge notice: checks the payload, records the alias in the subgraph's own
 * `profile_alias` table first (so rows arriving from now on under the old id go to the survivor),
 * then lets `repoint` move the merged profile's rows to the end of the survivor's chain. Returns
 * what `repoint` returned, or null for a merge that would close a cycle (ignored, logged).
 */
export async function applyMergeNotice<T extends ProfileAliasRow, R>(
  job: Pick<Job<ProfileMergedJob>, 'data' | 'id' | 'name'>,
  deps: Pick<SubgraphDeps, 'orm' | 'log'>,
  aliasEntity: EntityClass<T>,
  repoint: (em: EntityManager, tenantId: string, mergedProfileId: string, survivor: string) => Promise<R>,
): Promise<R | null> {
  const { tenantId, profileId, mergedProfileId } = checkedMergeNotice(job);
  const em = forkForTenant(deps.orm, tenantId);
  const survivor = await new ProfileAliases(em, aliasEntity, tenantId).record(mergedProfileId, profileId);
  if (!survivor) {
    deps.log.warn({ tenantId, profileId, mergedProfileId, jobId: job.id }, `${job.name}: the merge would close a cycle; ignored`);
    return null;
  }
  const moved = await repoint(em, tenantId, mergedProfileId, survivor);
  deps.log.info({ tenantId, survivor, mergedProfileId, jobId: job.id, moved }, `${job.name}: merged profile re-pointed`);
  return moved;
}

/**
 * A subgraph's merge-notice worker: runs `apply` for each notice, then queues its second pass.
 * Merges are rare and a tenant's merges touch overlapping rows, so a few at a time is plenty.
 */
export function startMergeNoticeWorker(
  queueName: typeof PROFILE_MERGED_SIGNALS | typeof PROFILE_MERGED_ACTIONS,
  deps: SubgraphDeps,
  apply: (job: Job<ProfileMergedJob>) => Promise<unknown>,
): Worker<ProfileMergedJob> {
  const worker = new Worker<ProfileMergedJob>(
    queueName,
    async (job) => {
      await apply(job);
      await queueMergeRecheck(deps.queues.get(queueName), job);
    },
    workerOptions(deps.redis, deps.config.queuePrefix, 2),
  );
  worker.on('error', (err) => deps.log.error({ err }, `${queueName} worker error`));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
