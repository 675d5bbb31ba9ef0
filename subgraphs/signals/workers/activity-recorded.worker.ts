import { UnrecoverableError, type Job, type Worker } from 'bullmq';

import { isUuid } from '../../common/ids';
import { startCoalescingWorker, type CoalescedPass } from '../../common/job-coalescing';
import { ACTIVITY_RECORDED, STAGE_BATCH_MAX, STAGE_CONCURRENCY, type ActivityRecordedJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { Event } from '../entities/event.entity';
import { publishHandedOnWatermark } from '../services/handed-on-watermark.service';
import { InFlightEvents } from '../services/in-flight-events.service';
import { WatermarkRefreshThrottle } from '../services/watermark-refresh-throttle';

/**
 * Risk has stored these events (`acknowledgeActivity`): their hand-off is done, so their marker
 * (`handOffPendingSince`) is cleared, one UPDATE per chunk of ids, and the tenant's handed-on
 * watermark (what training waits for) refreshed. Until this runs, the sweeper sends a batch whose
 * marker is older than the grace period again. Safe to run twice; a malformed payload fails for good.
 * With `watermarks` (the worker's), the refresh goes through its per-tenant throttle.
 */
export async function activityRecorded(
  job: Pick<Job<ActivityRecordedJob>, 'data' | 'id'>,
  deps: Pick<SubgraphDeps, 'orm' | 'redis' | 'config' | 'log'>,
  watermarks?: WatermarkRefreshThrottle,
): Promise<void> {
  if (!isWellFormed(job.data)) throw new UnrecoverableError(`activity-recorded: malformed job ${job.id}`);
  const { tenantId, eventIds } = job.data;
  const cleared = await forkForTenant(deps.orm, tenantId).getRepository(Event).handedOn(tenantId, eventIds);
  // only the events this run cleared leave the in-flight count: a replay takes nothing away; a
  // lost update is corrected by the sweeper's reconcile
  await new InFlightEvents(deps.redis, deps.config.queuePrefix)
    .settle(tenantId, job.data.lane === 'history' ? 'history' : 'live', cleared)
    .catch((err: unknown) => deps.log.warn({ err, tenantId }, 'activity-recorded: in-flight count not lowered'));
  await (watermarks ? watermarks.request(tenantId) : refreshWatermark(tenantId, deps));
}

/** A lost refresh only delays a waiting training until the sweeper's next tick. */
function refreshWatermark(tenantId: string, deps: Pick<SubgraphDeps, 'orm' | 'redis' | 'config' | 'log'>): Promise<void> {
  return publishHandedOnWatermark(forkForTenant(deps.orm, tenantId), deps, tenantId).then(
    () => undefined,
    (err: unknown) => deps.log.warn({ err, tenantId }, 'activity-recorded: handed-on watermark not refreshed'),
  );
}

/** Least time between two watermark refreshes of one tenant by one worker (see `WatermarkRefreshThrottle`). */
export const WATERMARK_REFRESH_MIN_INTERVAL_MS = 500;

/** The worker's throttle: one refresh per tenant per interval while a backlog drains, plus a trailing one. */
export function watermarkRefreshThrottle(deps: Pick<SubgraphDeps, 'orm' | 'redis' | 'config' | 'log'>): WatermarkRefreshThrottle {
  return new WatermarkRefreshThrottle((tenantId) => refreshWatermark(tenantId, deps), { minIntervalMs: WATERMARK_REFRESH_MIN_INTERVAL_MS });
}

/** Acknowledgements one pass takes at most (see `takeWaitingJobs`): they are small. */
export const ACK_PASS_MAX_JOBS = 50;

/**
 * A pass of acknowledgements (see `runCoalescedPass`): per tenant, one UPDATE per chunk of all
 * their ids and one watermark refresh.
 */
export function activityRecordedPass(
  deps: Pick<SubgraphDeps, 'orm' | 'redis' | 'config' | 'log'>,
  watermarks?: WatermarkRefreshThrottle,
): CoalescedPass<ActivityRecordedJob, ActivityRecordedJob> {
  return {
    parse: (job) => (isWellFormed(job.data) ? job.data : { malformed: `activity-recorded: malformed job ${job.id}` }),
    // per tenant and lane: each lane's in-flight count is lowered by its own events
    groupKey: (ack) => `${ack.tenantId}\u0000${ack.lane ?? 'live'}`,
    runGroup: (acks, id) =>
      activityRecorded(
        { id, data: { tenantId: acks[0].tenantId, eventIds: acks.flatMap((a) => a.eventIds), ...(acks[0].lane === 'history' && { lane: acks[0].lane }) } },
        deps,
        watermarks,
      ),
    runAlone: (job) => activityRecorded(job, deps, watermarks),
  };
}

function isWellFormed(data: ActivityRecordedJob | undefined): data is ActivityRecordedJob {
  return !!data && typeof data.tenantId === 'string' && !!data.tenantId && Array.isArray(data.eventIds) && data.eventIds.every((id) => typeof id === 'string' && isUuid(id));
}

export function startActivityRecordedWorker(deps: SubgraphDeps): Worker<ActivityRecordedJob> {
  const watermarks = watermarkRefreshThrottle(deps);
  const worker = startCoalescingWorker(deps, {
    queue: ACTIVITY_RECORDED,
    concurrency: STAGE_CONCURRENCY,
    limits: { maxJobs: ACK_PASS_MAX_JOBS, maxItems: STAGE_BATCH_MAX * 10, itemsOf: (data: ActivityRecordedJob) => data.eventIds?.length ?? 1 },
    pass: activityRecordedPass(deps, watermarks),
  });
  worker.on('closing', () => watermarks.close());
  return worker;
}
