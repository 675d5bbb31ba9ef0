import { Worker, type Job } from 'bullmq';

import { ProfileAliases } from '../../common/profile-aliases';
import { checkedMergeNotice, queueMergeRecheck } from '../../common/profile-merged-job';
import { PROFILE_MERGED_SIGNALS, workerOptions, type ProfileMergedJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { ProfileAlias } from '../entities/profile-alias.entity';
import { ProfileMergeRepository, type RepointedRows } from '../entities/profile-merge.repository';

/**
 * A profile was merged into another: signals records the alias first (so events taken over from
 * now on under the old id land on the survivor, see `followMerges`), then moves the merged
 * profile's events, signals and journeys to the survivor in one transaction. Merges are followed
 * in chains whatever order they arrive in. Safe to run twice; the worker runs it a second time a minute later
 * (`queueMergeRecheck`) for rows a concurrent batch wrote under the old id meanwhile. Returns null for a merge that would
 * close a cycle (ignored).
 */
export async function profileMergedInSignals(
  job: Pick<Job<ProfileMergedJob>, 'data' | 'id' | 'name'>,
  deps: Pick<SubgraphDeps, 'orm' | 'log'>,
): Promise<RepointedRows | null> {
  const { tenantId, profileId, mergedProfileId } = checkedMergeNotice(job);
  const em = deps.orm.em.fork();
  const survivor = await new ProfileAliases(em, ProfileAlias, tenantId).record(mergedProfileId, profileId);
  if (!survivor) {
    deps.log.warn({ tenantId, profileId, mergedProfileId, jobId: job.id }, 'profile-merged: the merge would close a cycle; ignored');
    return null;
  }
  const moved = await new ProfileMergeRepository(em, tenantId).repoint(mergedProfileId, survivor);
  deps.log.info({ tenantId, survivor, mergedProfileId, jobId: job.id, ...moved }, 'signals: merged profile re-pointed');
  return moved;
}

export function startProfileMergedWorker(deps: SubgraphDeps): Worker<ProfileMergedJob> {
  const worker = new Worker<ProfileMergedJob>(
    PROFILE_MERGED_SIGNALS,
    async (job) => {
      await profileMergedInSignals(job, deps);
      await queueMergeRecheck(deps.queues.get(PROFILE_MERGED_SIGNALS), job);
    },
    // merges of one tenant touch overlapping rows: a few at a time is plenty, they are rare
    workerOptions(deps.redis, deps.config.queuePrefix, 2),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'profile-merged-signals worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
