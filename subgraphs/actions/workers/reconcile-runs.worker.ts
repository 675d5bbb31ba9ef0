import { Worker } from 'bullmq';

import { PLAYBOOK_STEP, RECONCILE_RUNS, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkAcrossTenants } from '../../common/tenant-filter';
import { dueAcrossTenants, type DueRun } from '../entities/playbook-run.repository';
import { queuePlaybookSteps } from '../services/queue-playbook-steps';

type ReconcileRunsJob = JobPayloads[typeof RECONCILE_RUNS];

/** Id of the one job scheduler behind the reconciler; upserting it again replaces it. */
export const RECONCILE_RUNS_SCHEDULER = 'reconcile-runs-every';
/** How often the reconciler looks for due steps without a job, ms. */
export const RECONCILE_INTERVAL_MS = 5_000;
/** Runs per page, and pages per pass: a pass re-queues at most 20,000 steps. */
const PAGE_SIZE = 500;
const MAX_PAGES = 40;

/**
 * Queues the job of every live run whose step is due (`next_due_at <= now`), in pages, one
 * `addBulk` per page. A step whose job still exists (waiting, delayed, retrying or running) is
 * not queued twice (deterministic job ids); one whose job is gone (a worker killed between its
 * commit and queueing the next step, a Redis flush) gets it back. A step not yet due is queued
 * once it is, so after a flush a wait ends at most one interval late. Returns the steps offered.
 */
export async function reconcileRuns(deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'log'>, now = new Date()): Promise<number> {
  // the reconciler crosses tenants on purpose: one read for all of them
  const em = forkAcrossTenants(deps.orm);
  const queue = deps.queues.get(PLAYBOOK_STEP);
  let after: DueRun | null = null;
  let total = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const due = await dueAcrossTenants(em, now, PAGE_SIZE, after);
    await queuePlaybookSteps(queue, due.map((d) => ({ tenantId: d.tenantId, runId: d.runId, stepId: d.stepId, visit: d.visit, dueAt: d.nextDueAt })), now);
    total += due.length;
    if (due.length < PAGE_SIZE) break;
    after = due[due.length - 1];
  }
  return total;
}

/**
 * The reconciler: a BullMQ job scheduler repeats RECONCILE_RUNS every `intervalMs`, one worker at
 * concurrency 1 runs it, and each instance checks every interval that the schedule still exists
 * (Redis may have lost it) and puts it back if not (the shape of risk's score sweeper).
 */
export async function startReconcileRunsWorker(deps: SubgraphDeps, now: () => Date = () => new Date(), intervalMs = RECONCILE_INTERVAL_MS): Promise<Worker<ReconcileRunsJob>> {
  const queue = deps.queues.get(RECONCILE_RUNS);
  const schedule = () => queue.upsertJobScheduler(RECONCILE_RUNS_SCHEDULER, { every: intervalMs }, { name: RECONCILE_RUNS, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } });
  await schedule();
  const worker = new Worker<ReconcileRunsJob>(RECONCILE_RUNS, () => reconcileRuns(deps, now()), workerOptions(deps.redis, deps.config.queuePrefix, 1));
  worker.on('error', (err) => deps.log.error({ err }, 'reconcile-runs worker error'));
  deps.shutdown.defer(() => worker.close());

  let checking = false;
  const watchdog = setInterval(() => {
    if (checking) return;
    checking = true;
    void (async () => {
      if (await queue.getJobScheduler(RECONCILE_RUNS_SCHEDULER)) return;
      await schedule();
      deps.log.warn('reconcile-runs schedule was gone from Redis (data lost?): scheduled again');
    })()
      .catch((err: unknown) => deps.log.error({ err }, 'reconcile-runs schedule check failed'))
      .finally(() => (checking = false));
  }, intervalMs);
  watchdog.unref();
  // registered after the worker, so it stops first
  deps.shutdown.defer(() => clearInterval(watchdog));
  return worker;
}
