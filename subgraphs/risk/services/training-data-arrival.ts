import { fairShareFor } from '../../common/fair-share';
import { HandedOnWatermark } from '../../common/handed-on-watermark';
import { RECORD_ACTIVITY, SWEEP_EVENTS } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import type { DataArrival } from '../domain/training/data-wait';

/** Jobs read per state when looking for the tenant's record-activity jobs in flight (oldest first). */
const IN_FLIGHT_SCAN = 200;

type ArrivalDeps = Pick<SubgraphDeps, 'redis' | 'config' | 'queues'>;

/**
 * Reads, from Redis only (risk does not read signals' tables), how much of the tenant's data is
 * still on its way to risk: the handed-on watermark signals publishes, the tenant's fair-share
 * backlog on `record-activity` (both lanes), and its record-activity jobs running, retrying or
 * waiting unprioritized (a bounded scan). Any such job counts, not only those queued before the
 * request: a batch of events received before the request may be handed on after it.
 */
export async function readDataArrival(deps: ArrivalDeps, tenantId: string): Promise<DataArrival> {
  const fair = fairShareFor(deps);
  const queue = deps.queues.get(RECORD_ACTIVITY);
  const [handedOnUntil, live, history, jobs] = await Promise.all([
    new HandedOnWatermark(deps.redis, deps.config.queuePrefix).read(tenantId),
    fair.backlog(RECORD_ACTIVITY, tenantId, 'live'),
    fair.backlog(RECORD_ACTIVITY, tenantId, 'history'),
    queue.getJobs(['active', 'delayed', 'waiting'], 0, IN_FLIGHT_SCAN - 1, true),
  ]);
  const inFlight = jobs.filter((job) => job && job.data?.tenantId === tenantId).length;
  return { handedOnUntil, recordActivityWaiting: live + history, recordActivityInFlight: inFlight };
}

/**
 * Asks the signals stage for a fresh watermark: a one-off run of its sweeper (re-queues what was
 * lost, publishes every tenant's watermark). One per tenant per poll interval (the job id).
 */
export async function requestWatermark(deps: ArrivalDeps, tenantId: string, now: number = Date.now()): Promise<void> {
  const slot = Math.floor(now / deps.config.risk.trainingPollMs);
  await deps.queues.get(SWEEP_EVENTS).add(SWEEP_EVENTS, {}, { jobId: `watermark-${tenantId}-${slot}`, removeOnComplete: true, removeOnFail: 100 });
}
