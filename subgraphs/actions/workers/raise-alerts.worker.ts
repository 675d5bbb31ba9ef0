import type { Job, Worker } from 'bullmq';

import { RAISE_ALERTS, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { acknowledgeScoreFollowUps } from '../../common/score-follow-ups-done';
import { readRaiseAlertsJob, type RaiseAlertsWork, type RejectedChange } from '../domain/read-raise-alerts-job';
import type { Alert } from '../entities/alert.entity';
import { raiseAlertBatch, startAlertBatchWorker, type AlertBatchDeps, type AlertBatchStage } from '../services/alert-batch-stage';
import { RaiseAlertsService } from '../services/raise-alerts.service';

type RaiseAlertsJob = JobPayloads[typeof RAISE_ALERTS];

/**
 * Batches one process evaluates at once: one. Two batches carrying the same profile would both
 * read its (rule, profile) state before either wrote it, and could both fire (or break a
 * cool-down); a batch costs a few statements, so one at a time keeps up.
 */
export const RAISE_ALERTS_CONCURRENCY = 1;

const STAGE: AlertBatchStage<RaiseAlertsJob, RaiseAlertsWork> = {
  queue: RAISE_ALERTS,
  items: 'changes',
  raisedMessage: 'alerts raised',
  concurrency: RAISE_ALERTS_CONCURRENCY,
  read: readRaiseAlertsJob,
  count: (work) => work.changes.length,
  raise: (em, { tenantId, changes }, now) => new RaiseAlertsService(em, tenantId).raise(changes, now),
  // risk may clear the hand-off marker of these scores (ids unique per job)
  acknowledge: (deps, job, { tenantId, changes }) => acknowledgeScoreFollowUps(deps.queues, tenantId, 'alerts', changes.map((c) => c.scoreId)),
};

/**
 * Evaluates the tenant's alert rules against a batch of risk changes (see `RaiseAlertsService`)
 * and publishes `alertRaised` for each alert it inserted, then acknowledges the batch's scores to
 * risk (`score-follow-ups-done`), which clears their hand-off marker. Safe to run twice: alerts are keyed on
 * (rule, score), and states skip scores already seen. A malformed change is logged with its index
 * and skipped, the others are kept; a payload without a tenant fails without retries (`raiseAlertBatch`).
 */
export function raiseAlerts(job: Pick<Job<RaiseAlertsJob>, 'data' | 'id'>, deps: AlertBatchDeps, now = new Date()): Promise<{ raised: Alert[]; rejected: RejectedChange[] }> {
  return raiseAlertBatch(STAGE, job, deps, now);
}

export function startRaiseAlertsWorker(deps: SubgraphDeps): Worker<RaiseAlertsJob> {
  return startAlertBatchWorker(STAGE, raiseAlerts, deps);
}
