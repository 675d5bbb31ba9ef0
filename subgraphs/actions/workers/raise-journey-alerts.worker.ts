import type { Job, Worker } from 'bullmq';

import { JOURNEY_ALERTS, JOURNEY_ALERTS_DONE, type JourneyAlertsBatch } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { describeJourneyFiring, type JourneyStateFacts } from '../domain/evaluate-journey-rules';
import { readJourneyAlertsJob, type JourneyAlertsWork } from '../domain/read-journey-alerts-job';
import type { RejectedChange } from '../domain/read-raise-alerts-job';
import type { Alert } from '../entities/alert.entity';
import { raiseAlertBatch, startAlertBatchWorker, type AlertBatchDeps, type AlertBatchStage } from '../services/alert-batch-stage';
import { RaiseTriggerAlertsService } from '../services/raise-trigger-alerts.service';

/** Batches one process evaluates at once: one, as for `raise-alerts` (rule states per profile). */
export const JOURNEY_ALERTS_CONCURRENCY = 1;

const STAGE: AlertBatchStage<JourneyAlertsBatch, JourneyAlertsWork> = {
  queue: JOURNEY_ALERTS,
  items: 'states',
  raisedMessage: 'journey alerts raised',
  concurrency: JOURNEY_ALERTS_CONCURRENCY,
  read: readJourneyAlertsJob,
  count: (work) => work.states.length,
  raise: (em, { tenantId, states }, now) => {
    // in the order the states began
    const facts: JourneyStateFacts[] = [...states].sort((a, b) => a.at.getTime() - b.at.getTime()).map((s) => ({ ...s, segmentIds: [] }));
    return new RaiseTriggerAlertsService(em, tenantId).raise('journey', facts, describeJourneyFiring, now);
  },
  acknowledge: async (deps, job, { tenantId, pending }) => {
    // signals may clear these markers (a later change of an instance keeps its own)
    if (pending.length) await deps.queues.get(JOURNEY_ALERTS_DONE).add(JOURNEY_ALERTS_DONE, { tenantId, pending }, { jobId: `${String(job.id)}-done` });
  },
};

/**
 * Evaluates the tenant's JOURNEY alert rules against the states journey instances reached (see
 * `RaiseTriggerAlertsService`, `describeJourneyFiring`), in the order they began; queues the
 * playbook steps and webhook tries of what it inserted, acknowledges the instances' markers to
 * signals (`journey-alerts-done`) and publishes `alertRaised` once per inserted alert. Safe to
 * run twice: alerts are keyed on (rule, instance, state[, step]). A malformed state is logged and
 * skipped; a malformed payload fails without retries (`raiseAlertBatch`).
 */
export function raiseJourneyAlerts(job: Pick<Job<JourneyAlertsBatch>, 'data' | 'id'>, deps: AlertBatchDeps, now = new Date()): Promise<{ raised: Alert[]; rejected: RejectedChange[] }> {
  return raiseAlertBatch(STAGE, job, deps, now);
}

export function startRaiseJourneyAlertsWorker(deps: SubgraphDeps): Worker<JourneyAlertsBatch> {
  return startAlertBatchWorker(STAGE, raiseJourneyAlerts, deps);
}
