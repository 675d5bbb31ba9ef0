import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { dropTakenJob, settleTakenJobs, takeWaitingJobs } from '../../common/job-coalescing';
import { ACTIVITY_RECORDED, STAGE_BATCH_MAX, STAGE_CONCURRENCY, workerOptions, type ActivityRecordedJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { Event } from '../entities/event.entity';
import { publishHandedOnWatermark } from '../services/handed-on-watermark.service';
import { InFlightEvents } from '../services/in-flight-events.service';

/**
 * Risk has stored these events (`acknowledgeActivity`): their hand-off is done, so their marker
 * (`handOffPendingSince`) is cleared, one UPDATE per chunk of ids, and the tenant's handed-on
 * watermark (what training waits for) refreshed. Until this runs, the sweeper sends a batch whose
 * marker is older than the grace period again. Safe to run twice; a malformed payload fails for good.
 */
export async function activityRecorded(job: Pick<Job<ActivityRecordedJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm' | 'redis' | 'config' | 'log'>): Promise<void> {
  if (!isWellFormed(job.data)) throw new UnrecoverableError(`activity-recorded: malformed job ${job.id}`);
  const { tenantId, eventIds } = job.data;
  const cleared = await forkForTenant(deps.orm, tenantId).getRepository(Event).handedOn(tenantId, eventIds);
  // only the events this run cleared leave the in-flight count: a replay takes nothing away; a
  // lost update is corrected by the sweeper's reconcile
  await new InFlightEvents(deps.redis, deps.config.queuePrefix)
    .settle(tenantId, job.data.lane === 'history' ? 'history' : 'live', cleared)
    .catch((err: unknown) => deps.log.warn({ err, tenantId }, 'activity-recorded: in-flight count not lowered'));
  // a lost refresh only delays a waiting training until the sweeper's next tick
  await publishHandedOnWatermark(forkForTenant(deps.orm, tenantId), deps, tenantId).catch((err: unknown) =>
    deps.log.warn({ err, tenantId }, 'activity-recorded: handed-on watermark not refreshed'),
  );
}

/** Acknowledgements one pass takes at most (see `takeWaitingJobs`): they are small. */
export const ACK_PASS_MAX_JOBS = 50;

/**
 * Runs `first` with the acknowledgements waiting behind it: per tenant, one UPDATE per chunk of all
 * their ids and one watermark refresh. A malformed extra job fails alone; a failed pass fails
 * every job of it. Returns the extra jobs it completed.
 */
export async function activityRecordedPass(
  first: Pick<Job<ActivityRecordedJob>, 'data' | 'id'>,
  extra: readonly Job<ActivityRecordedJob>[],
  token: string,
  deps: Pick<SubgraphDeps, 'orm' | 'redis' | 'config' | 'log'>,
): Promise<Job<ActivityRecordedJob>[]> {
  if (extra.length === 0) {
    await activityRecorded(first, deps);
    return [];
  }
  const valid: Job<ActivityRecordedJob>[] = [];
  // per tenant and lane: each lane's in-flight count is lowered by its own events
  const byTenant = new Map<string, ActivityRecordedJob>();
  for (const job of extra) {
    if (!isWellFormed(job.data)) await dropTakenJob(job, token, `activity-recorded: malformed job ${job.id}`);
    else {
      valid.push(job);
      const key = `${job.data.tenantId}\u0000${job.data.lane ?? 'live'}`;
      const group = byTenant.get(key) ?? { tenantId: job.data.tenantId, eventIds: [], ...(job.data.lane === 'history' && { lane: job.data.lane }) };
      group.eventIds.push(...job.data.eventIds);
      byTenant.set(key, group);
    }
  }
  try {
    await activityRecorded(first, deps);
    for (const data of byTenant.values()) await activityRecorded({ id: `${first.id}+`, data }, deps);
  } catch (err) {
    await settleTakenJobs(valid, token, err as Error);
    throw err;
  }
  await settleTakenJobs(valid, token);
  return valid;
}

function isWellFormed(data: ActivityRecordedJob | undefined): data is ActivityRecordedJob {
  return !!data && typeof data.tenantId === 'string' && !!data.tenantId && Array.isArray(data.eventIds) && data.eventIds.every((id) => typeof id === 'string' && isUuid(id));
}

export function startActivityRecordedWorker(deps: SubgraphDeps): Worker<ActivityRecordedJob> {
  const limits = { maxJobs: ACK_PASS_MAX_JOBS, maxItems: STAGE_BATCH_MAX * 10, itemsOf: (data: ActivityRecordedJob) => data.eventIds?.length ?? 1 };
  const worker: Worker<ActivityRecordedJob> = new Worker<ActivityRecordedJob>(
    ACTIVITY_RECORDED,
    async (job, token) => {
      // the acknowledgements waiting behind this one go in the same pass (see job-coalescing.ts)
      const extra = token ? await takeWaitingJobs(worker, token, job, limits) : [];
      await activityRecordedPass(job, extra, token ?? '', deps);
    },
    workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'activity-recorded worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
