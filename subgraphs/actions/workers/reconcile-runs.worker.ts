import type { Worker } from 'bullmq';

import { ESCALATE_TASK, PLAYBOOK_STEP, RECONCILE_RUNS, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { startScheduledSweeper } from '../../common/scheduled-sweeper';
import { forkAcrossTenants } from '../../common/tenant-filter';
import { dueAcrossTenants, type DueRun } from '../entities/playbook-run.repository';
import { overdueAcrossTenants, type OverdueTask } from '../entities/task.repository';
import { resendPendingDeliveryReports, resendPendingMessageOutcomes } from '../services/message-outcome-handoff';
import { queuePlaybookSteps } from '../services/queue-playbook-steps';
import { resendPendingReplays } from '../services/queue-replay-sends';
import { queueTaskEscalations } from '../services/queue-task-escalations';

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
 * Queues the escalation of every open, not yet escalated task whose due time has passed, in pages
 * (one `addBulk` each). A task whose job still exists is not queued twice (deterministic ids); one
 * whose job was lost (a Redis flush, a crash before queueing) gets it back. Returns the tasks offered.
 */
export async function reconcileTaskEscalations(deps: Pick<SubgraphDeps, 'orm' | 'queues'>, now = new Date()): Promise<number> {
  // crosses tenants on purpose, like the run reconciler
  const em = forkAcrossTenants(deps.orm);
  const queue = deps.queues.get(ESCALATE_TASK);
  let after: OverdueTask | null = null;
  let total = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const due = await overdueAcrossTenants(em, now, PAGE_SIZE, after);
    await queueTaskEscalations(queue, due, now);
    total += due.length;
    if (due.length < PAGE_SIZE) break;
    after = due[due.length - 1];
  }
  return total;
}

/**
 * Queues again the `Message Sent` / `Message Failed` event of every send, and the event of every
 * provider delivery report, whose event has been pending for longer than `SWEEP_GRACE_MS` (see
 * `resendPendingMessageOutcomes`, `resendPendingDeliveryReports`). Returns how many.
 */
export async function reconcileMessageOutcomes(deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'log' | 'config'>, now = new Date()): Promise<number> {
  // crosses tenants on purpose, like the run reconciler
  const em = forkAcrossTenants(deps.orm);
  const count =
    (await resendPendingMessageOutcomes(em, deps.queues, deps.config.ingest.sweepGraceMs, now)) +
    (await resendPendingDeliveryReports(em, deps.queues, deps.config.ingest.sweepGraceMs, now));
  if (count > 0) deps.log.warn({ count }, 'reconciler re-queued message outcomes not yet in the event stream');
  return count;
}

/**
 * Queues again every replay of a dead-lettered send (`replaySend`) still in flight more than
 * `SWEEP_GRACE_MS` after it was asked for (or came due after quiet hours): its job was lost to a
 * Redis flush, or a crash came between the mutation's commit and the queueing (see
 * `resendPendingReplays`). Returns how many.
 */
export async function reconcileReplays(deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'log' | 'config'>, now = new Date()): Promise<number> {
  // crosses tenants on purpose, like the run reconciler
  const count = await resendPendingReplays(forkAcrossTenants(deps.orm), deps.queues, deps.config.ingest.sweepGraceMs, now);
  if (count > 0) deps.log.warn({ count }, 'reconciler re-queued replays of dead-lettered sends');
  return count;
}

/** The reconciler: RECONCILE_RUNS every `intervalMs`, self-healing (see `startScheduledSweeper`). */
export function startReconcileRunsWorker(deps: SubgraphDeps, now: () => Date = () => new Date(), intervalMs = RECONCILE_INTERVAL_MS): Promise<Worker<ReconcileRunsJob>> {
  return startScheduledSweeper(deps, {
    queue: RECONCILE_RUNS,
    schedulerId: RECONCILE_RUNS_SCHEDULER,
    everyMs: intervalMs,
    run: async () => ({
      steps: await reconcileRuns(deps, now()),
      escalations: await reconcileTaskEscalations(deps, now()),
      messageOutcomes: await reconcileMessageOutcomes(deps, now()),
      replays: await reconcileReplays(deps, now()),
    }),
  });
}
