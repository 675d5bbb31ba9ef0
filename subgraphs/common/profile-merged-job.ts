import { UnrecoverableError, type Job } from 'bullmq';

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
