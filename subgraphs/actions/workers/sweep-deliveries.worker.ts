import type { Worker } from 'bullmq';

import { SWEEP_DELIVERIES, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { startScheduledSweeper } from '../../common/scheduled-sweeper';
import { forkAcrossTenants } from '../../common/tenant-filter';
import { overdueDeliveries } from '../entities/webhook-delivery.repository';
import { queueDeliveryTries } from '../services/webhook-delivery.service';

/** Id of the one job scheduler behind the delivery sweeper; upserting it again replaces it. */
export const SWEEP_DELIVERIES_SCHEDULER = 'sweep-deliveries-every';
const SWEEP_PAGE_SIZE = 500;
const SWEEP_MAX_PAGES = 20;

/**
 * Queues again the try of every pending delivery overdue by more than `SWEEP_GRACE_MS`: its job
 * was lost (a Redis flush) or never queued (a crash after the commit). The job id is the row's
 * `<id>-<seq>`, so re-adding a try whose job still exists is a no-op. Returns how many it queued.
 */
export async function sweepDeliveries(deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'config' | 'log'>, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - deps.config.ingest.sweepGraceMs);
  // the sweeper crosses tenants on purpose: one read for all of them
  const em = forkAcrossTenants(deps.orm);
  let total = 0;
  let after: { at: Date; id: string } | null = null;
  for (let page = 0; page < SWEEP_MAX_PAGES; page++) {
    const rows = await overdueDeliveries(em, cutoff, SWEEP_PAGE_SIZE, after);
    await queueDeliveryTries(deps.queues, rows, now);
    total += rows.length;
    if (rows.length < SWEEP_PAGE_SIZE) break;
    // the rows stay pending until their jobs run: page on by (due time, id), not by status
    const last = rows[rows.length - 1];
    after = { at: last.nextAttemptAt, id: last.id };
  }
  if (total > 0) deps.log.warn({ count: total }, 'delivery sweeper re-queued overdue webhook deliveries');
  return total;
}

/** The sweeper: SWEEP_DELIVERIES every `SWEEP_INTERVAL_MS`, self-healing (see `startScheduledSweeper`). */
export function startSweepDeliveriesWorker(deps: SubgraphDeps): Promise<Worker<JobPayloads[typeof SWEEP_DELIVERIES]>> {
  return startScheduledSweeper(deps, {
    queue: SWEEP_DELIVERIES,
    schedulerId: SWEEP_DELIVERIES_SCHEDULER,
    everyMs: deps.config.ingest.sweepIntervalMs,
    run: () => sweepDeliveries(deps),
  });
}
