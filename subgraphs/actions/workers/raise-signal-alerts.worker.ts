import type { Job, Worker } from 'bullmq';

import { isUuid } from '../../common/ids';
import { SIGNAL_ALERTS, SIGNAL_ALERTS_DONE, type SignalAlertsBatch } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { describeSignalFiring, type SignalFacts } from '../domain/evaluate-signal-rules';
import type { RejectedChange } from '../domain/read-raise-alerts-job';
import { readSignalAlertsJob, type SignalAlertsWork } from '../domain/read-signal-alerts-job';
import type { Alert } from '../entities/alert.entity';
import { raiseAlertBatch, startAlertBatchWorker, type AlertBatchDeps, type AlertBatchStage } from '../services/alert-batch-stage';
import { RaiseTriggerAlertsService } from '../services/raise-trigger-alerts.service';

/**
 * Batches one process evaluates at once: one, as for `raise-alerts` (two batches of one profile
 * would both read its rule state before either wrote it, and could both break a cool-down).
 */
export const SIGNAL_ALERTS_CONCURRENCY = 1;

const STAGE: AlertBatchStage<SignalAlertsBatch, SignalAlertsWork> = {
  queue: SIGNAL_ALERTS,
  items: 'signals',
  raisedMessage: 'friction signal alerts raised',
  concurrency: SIGNAL_ALERTS_CONCURRENCY,
  read: readSignalAlertsJob,
  count: (work) => work.signals.length,
  raise: (em, { tenantId, signals }, now) => {
    // detection order (signal ids are uuidv7); segments come from the actions stage's copy of membership
    const facts: SignalFacts[] = [...signals].sort((a, b) => (a.signalId < b.signalId ? -1 : a.signalId > b.signalId ? 1 : 0)).map((s) => ({ ...s, segmentIds: [] }));
    return new RaiseTriggerAlertsService(em, tenantId).raise('friction_signal', facts, describeSignalFiring, now);
  },
  acknowledge: async (deps, job, { tenantId }) => {
    // every signal the job named, the malformed ones too: evaluating them again would fail again
    const named = Array.isArray(job.data.signals) ? job.data.signals.map((s) => (s as { signalId?: unknown } | null)?.signalId) : [];
    const signalIds = [...new Set(named.filter((id): id is string => typeof id === 'string' && isUuid(id)))];
    // gathered per tenant over the ack window (`Queues.ack`): one job per window, not per batch
    if (signalIds.length) await deps.queues.ack(SIGNAL_ALERTS_DONE, { tenantId, signalIds });
  },
};

/**
 * Evaluates the tenant's FRICTION_SIGNAL alert rules against a batch of friction signals (see
 * `RaiseTriggerAlertsService`, `describeSignalFiring`), queues the playbook steps and webhook tries of what it inserted,
 * acknowledges the signals to signals (`signal-alerts-done`, which clears their hand-off marker)
 * and publishes `alertRaised` once per inserted alert. Safe to run twice: alerts are keyed on
 * (rule, signal). A malformed signal is logged with its index and skipped; a payload without a
 * tenant fails without retries (`raiseAlertBatch`).
 */
export function raiseSignalAlerts(job: Pick<Job<SignalAlertsBatch>, 'data' | 'id'>, deps: AlertBatchDeps, now = new Date()): Promise<{ raised: Alert[]; rejected: RejectedChange[] }> {
  return raiseAlertBatch(STAGE, job, deps, now);
}

export function startRaiseSignalAlertsWorker(deps: SubgraphDeps): Worker<SignalAlertsBatch> {
  return startAlertBatchWorker(STAGE, raiseSignalAlerts, deps);
}
