import { Worker, type Job } from 'bullmq';

import { ProfileAliases } from '../../common/profile-aliases';
import { checkedMergeNotice, queueMergeRecheck } from '../../common/profile-merged-job';
import { PROFILE_MERGED_ACTIONS, workerOptions, type ProfileMergedJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { ProfileAlias } from '../entities/profile-alias.entity';
import { ProfileMergeRepository } from '../entities/profile-merge.repository';

/**
 * A profile was merged into another: actions records the alias first (so an alert raised from now
 * on under the old id goes to the survivor), then moves the merged profile's alerts. Merges are
 * followed in chains whatever order they arrive in. Safe to run twice; the worker runs it a second time a minute later
 * (`queueMergeRecheck`) for rows a concurrent batch wrote under the old id meanwhile. Returns how many alerts
 * moved, or null for a merge that would close a cycle (ignored).
 */
export async function profileMergedInActions(
  job: Pick<Job<ProfileMergedJob>, 'data' | 'id' | 'name'>,
  deps: Pick<SubgraphDeps, 'orm' | 'log'>,
): Promise<number | null> {
  const { tenantId, profileId, mergedProfileId } = checkedMergeNotice(job);
  const em = deps.orm.em.fork();
  const survivor = await new ProfileAliases(em, ProfileAlias, tenantId).record(mergedProfileId, profileId);
  if (!survivor) {
    deps.log.warn({ tenantId, profileId, mergedProfileId, jobId: job.id }, 'profile-merged: the merge would close a cycle; ignored');
    return null;
  }
  const alerts = await new ProfileMergeRepository(em, tenantId).repoint(mergedProfileId, survivor);
  deps.log.info({ tenantId, survivor, mergedProfileId, jobId: job.id, alerts }, 'actions: merged profile re-pointed');
  return alerts;
}

export function startProfileMergedWorker(deps: SubgraphDeps): Worker<ProfileMergedJob> {
  const worker = new Worker<ProfileMergedJob>(
    PROFILE_MERGED_ACTIONS,
    async (job) => {
      await profileMergedInActions(job, deps);
      await queueMergeRecheck(deps.queues.get(PROFILE_MERGED_ACTIONS), job);
    },
    workerOptions(deps.redis, deps.config.queuePrefix, 2),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'profile-merged-actions worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
