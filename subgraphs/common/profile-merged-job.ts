import { UnrecoverableError, type Job, type Queue } from 'bullmq';

import { isUuid } from './ids';
import type { ProfileMergedJob } from './queues';

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
