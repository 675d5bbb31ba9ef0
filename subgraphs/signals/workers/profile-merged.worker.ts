import type { Job, Worker } from 'bullmq';

import { applyMergeNotice, startMergeNoticeWorker } from '../../common/profile-merged-job';
import { PROFILE_MERGED_SIGNALS, type ProfileMergedJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { ProfileAlias } from '../entities/profile-alias.entity';
import { ProfileMergeRepository, type RepointedRows } from '../entities/profile-merge.repository';

/**
 * A profile was merged into another: signals records the alias first (so events taken over from
 * now on under the old id land on the survivor, see `followMerges`), then moves the merged
 * profile's events, signals and journeys to the survivor in one transaction. Merges are followed
 * in chains whatever order they arrive in. Safe to run twice; the worker runs it a second time a
 * minute later (`queueMergeRecheck`) for rows a concurrent batch wrote under the old id meanwhile.
 * Returns null for a merge that would close a cycle (ignored).
 */
export function profileMergedInSignals(job: Pick<Job<ProfileMergedJob>, 'data' | 'id' | 'name'>, deps: Pick<SubgraphDeps, 'orm' | 'log'>): Promise<RepointedRows | null> {
  return applyMergeNotice(job, deps, ProfileAlias, (em, tenantId, merged, survivor) => new ProfileMergeRepository(em, tenantId).repoint(merged, survivor));
}

export function startProfileMergedWorker(deps: SubgraphDeps): Worker<ProfileMergedJob> {
  return startMergeNoticeWorker(PROFILE_MERGED_SIGNALS, deps, (job) => profileMergedInSignals(job, deps));
}
