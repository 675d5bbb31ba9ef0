import type { Job, Worker } from 'bullmq';

import { applyMergeNotice, startMergeNoticeWorker } from '../../common/profile-merged-job';
import { PROFILE_MERGED_ACTIONS, type ProfileMergedJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { ProfileAlias } from '../entities/profile-alias.entity';
import { ProfileMergeRepository } from '../entities/profile-merge.repository';

/**
 * A profile was merged into another: actions records the alias first (so an alert raised from now
 * on under the old id goes to the survivor), then moves the merged profile's alerts. Merges are
 * followed in chains whatever order they arrive in. Safe to run twice; the worker runs it a second
 * time a minute later (`queueMergeRecheck`) for rows a concurrent batch wrote under the old id
 * meanwhile. Returns how many alerts moved, or null for a merge that would close a cycle (ignored).
 */
export function profileMergedInActions(job: Pick<Job<ProfileMergedJob>, 'data' | 'id' | 'name'>, deps: Pick<SubgraphDeps, 'orm' | 'log'>): Promise<number | null> {
  return applyMergeNotice(job, deps, ProfileAlias, (em, tenantId, merged, survivor) => new ProfileMergeRepository(em, tenantId).repoint(merged, survivor));
}

export function startProfileMergedWorker(deps: SubgraphDeps): Worker<ProfileMergedJob> {
  return startMergeNoticeWorker(PROFILE_MERGED_ACTIONS, deps, (job) => profileMergedInActions(job, deps));
}
