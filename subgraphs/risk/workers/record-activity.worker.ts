import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { queueScoreProfile, RECORD_ACTIVITY, SCORE_PROFILE, workerOptions, type RecordActivityBatch, type RecordActivityJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { ActivityService } from '../services/activity.service';

const KINDS = new Set(['event', 'signal', 'journey', 'segment', 'merge']);

/**
 * Stores one observation (or each of a batch's, `RecordActivityBatch`) in risk's own tables (idempotent by the source id), then asks for a
 * debounced re-score of the profile: new behaviour changes the score within seconds.
 */
export async function recordActivity(job: Pick<Job<RecordActivityJob | RecordActivityBatch>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'config'>): Promise<void> {
  const data = job.data;
  // a batch: each item through the one-item path, in order (the set-based version replaces this)
  if (data && 'items' in data && Array.isArray(data.items)) {
    for (const [i, item] of data.items.entries()) {
      if (item?.tenantId !== data.tenantId) throw new UnrecoverableError(`record-activity: item ${i} of job ${job.id} is not of tenant ${data.tenantId}`);
      await recordOne({ id: `${job.id}-${i}`, data: item }, deps);
    }
    return;
  }
  await recordOne({ id: job.id, data: data as RecordActivityJob }, deps);
}

async function recordOne(job: Pick<Job<RecordActivityJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'config'>): Promise<void> {
  const data = job.data;
  if (!data || typeof data.tenantId !== 'string' || !data.tenantId || !KINDS.has(data.kind) || !isUuid(data.profileId) || (data.kind === 'merge' && !isUuid(data.mergedProfileId))) {
    throw new UnrecoverableError(`record-activity: malformed job ${job.id}`);
  }
  const profileId = await new ActivityService(deps.orm.em.fork(), data.tenantId).record(data);
  // segment changes do not move a score; everything else may
  if (data.kind === 'segment') return;
  await queueScoreProfile(
    deps.queues.get(SCORE_PROFILE),
    { tenantId: data.tenantId, profileId, reason: `activity:${data.kind}` },
    deps.config.risk.scoreDebounceMs,
    String(job.id),
  );
}

export function startRecordActivityWorker(deps: SubgraphDeps): Worker<RecordActivityJob | RecordActivityBatch> {
  const worker = new Worker<RecordActivityJob | RecordActivityBatch>(RECORD_ACTIVITY, (job) => recordActivity(job, deps), workerOptions(deps.redis, deps.config.queuePrefix, 16));
  worker.on('error', (err) => deps.log.error({ err }, 'record-activity worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
