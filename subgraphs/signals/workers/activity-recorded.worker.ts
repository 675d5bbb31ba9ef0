import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { ACTIVITY_RECORDED, STAGE_CONCURRENCY, workerOptions, type ActivityRecordedJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { Event } from '../entities/event.entity';
import { publishHandedOnWatermark } from '../services/handed-on-watermark.service';

/**
 * Risk has stored these events (`acknowledgeActivity`): their hand-off is done, so their marker
 * (`handOffPendingSince`) is cleared, one UPDATE per chunk of ids, and the tenant's handed-on
 * watermark (what training waits for) refreshed. Until this runs, the sweeper sends a batch whose
 * marker is older than the grace period again. Safe to run twice; a malformed payload fails for good.
 */
export async function activityRecorded(job: Pick<Job<ActivityRecordedJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm' | 'redis' | 'config' | 'log'>): Promise<void> {
  const { tenantId, eventIds } = job.data ?? ({} as ActivityRecordedJob);
  if (typeof tenantId !== 'string' || !tenantId || !Array.isArray(eventIds) || !eventIds.every((id) => typeof id === 'string' && isUuid(id))) {
    throw new UnrecoverableError(`activity-recorded: malformed job ${job.id}`);
  }
  await forkForTenant(deps.orm, tenantId).getRepository(Event).handedOn(tenantId, eventIds);
  // a lost refresh only delays a waiting training until the sweeper's next tick
  await publishHandedOnWatermark(forkForTenant(deps.orm, tenantId), deps, tenantId).catch((err: unknown) =>
    deps.log.warn({ err, tenantId }, 'activity-recorded: handed-on watermark not refreshed'),
  );
}

export function startActivityRecordedWorker(deps: SubgraphDeps): Worker<ActivityRecordedJob> {
  const worker = new Worker<ActivityRecordedJob>(ACTIVITY_RECORDED, (job) => activityRecorded(job, deps), workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY));
  worker.on('error', (err) => deps.log.error({ err }, 'activity-recorded worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
