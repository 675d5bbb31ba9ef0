import { Worker } from 'bullmq';

import { SWEEP_EVENTS, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkAcrossTenants } from '../../common/tenant-filter';
import { EventOutbox } from '../services/event-outbox.service';
import { publishHandedOnWatermark } from '../services/handed-on-watermark.service';
import { InFlightEvents } from '../services/in-flight-events.service';

type SweepEventsJob = JobPayloads[typeof SWEEP_EVENTS];

/** Id of the one job scheduler behind the sweeper; upserting it again replaces it. */
export const SWEEP_EVENTS_SCHEDULER = 'sweep-events-every';

/**
 * Queues again the stored events whose resolve job was lost, and the processed events whose
 * hand-off to the risk stage was lost (as `event-resolved` batches), then publishes every
 * tenant's handed-on watermark (training waits for it) and lowers the admission counters of
 * events in flight to what the same SQL read counts (`InFlightEvents.reconcile`). Returns how many
 * it queued.
 */
export async function sweepEvents(deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'config' | 'log' | 'redis'>, now = new Date()): Promise<number> {
  const outbox = new EventOutbox(forkAcrossTenants(deps.orm), deps);
  const count = await outbox.sweep(now);
  if (count > 0) deps.log.info({ count }, 'sweeper queued unprocessed events');
  const handOffs = await outbox.sweepHandOffs(now);
  if (handOffs > 0) deps.log.info({ count: handOffs }, 'sweeper queued events whose hand-off to risk was lost');
  const inFlight = new InFlightEvents(deps.redis, deps.config.queuePrefix);
  // read before the SQL count, so what changes meanwhile is carried over rather than lost
  const before = await inFlight.readMany(await inFlight.tenants());
  const pending = await publishHandedOnWatermark(forkAcrossTenants(deps.orm), deps, null);
  await inFlight.reconcile(before, pending);
  return count + handOffs;
}

/**
 * The sweeper: a BullMQ job scheduler repeats SWEEP_EVENTS every `sweepIntervalMs`, and one
 * worker runs it. However many signals instances upsert the scheduler, there is one schedule,
 * and concurrency 1 keeps two sweeps of one instance from overlapping.
 *
 * The schedule lives in Redis, so Redis losing its data (a restart without persistence, a flush)
 * would stop the sweeper exactly when it is needed, until signals restarted. Each instance
 * therefore checks every `sweepIntervalMs` that the scheduler exists, and upserts it if not.
 */
export async function startSweepEventsWorker(deps: SubgraphDeps): Promise<Worker<SweepEventsJob>> {
  const queue = deps.queues.get(SWEEP_EVENTS);
  const schedule = () =>
    queue.upsertJobScheduler(
      SWEEP_EVENTS_SCHEDULER,
      { every: deps.config.ingest.sweepIntervalMs },
      { name: SWEEP_EVENTS, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  await schedule();
  const worker = new Worker<SweepEventsJob>(SWEEP_EVENTS, () => sweepEvents(deps), workerOptions(deps.redis, deps.config.queuePrefix, 1));
  worker.on('error', (err) => deps.log.error({ err }, 'sweep-events worker error'));
  deps.shutdown.defer(() => worker.close());

  let checking = false;
  const watchdog = setInterval(() => {
    if (checking) return;
    checking = true;
    void (async () => {
      if (await queue.getJobScheduler(SWEEP_EVENTS_SCHEDULER)) return;
      await schedule();
      deps.log.warn('sweep-events schedule was gone from Redis (data lost?): scheduled again');
    })()
      .catch((err: unknown) => deps.log.error({ err }, 'sweep-events schedule check failed'))
      .finally(() => (checking = false));
  }, deps.config.ingest.sweepIntervalMs);
  watchdog.unref();
  // registered after the worker, so it stops first
  deps.shutdown.defer(() => clearInterval(watchdog));
  return worker;
}
