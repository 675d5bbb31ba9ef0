import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { ALERT_RAISED } from '../../common/pubsub';
import { PLAYBOOK_STEP, SIGNAL_ALERTS, SIGNAL_ALERTS_DONE, workerOptions, type SignalAlertsBatch } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { describeSignalFiring, type SignalFacts } from '../domain/evaluate-signal-rules';
import type { RejectedChange } from '../domain/read-raise-alerts-job';
import { readSignalAlertsJob, type SignalAlertsWork } from '../domain/read-signal-alerts-job';
import type { Alert } from '../entities/alert.entity';
import { alertRaisedEvent } from '../services/alert-event';
import { queuePlaybookSteps } from '../services/queue-playbook-steps';
import { RaiseTriggerAlertsService } from '../services/raise-trigger-alerts.service';
import { queueDeliveryTries } from '../services/webhook-delivery.service';

/**
 * Batches one process evaluates at once: one, as for `raise-alerts` (two batches of one profile
 * would both read its rule state before either wrote it, and could both break a cool-down).
 */
export const SIGNAL_ALERTS_CONCURRENCY = 1;

/**
 * Evaluates the tenant's FRICTION_SIGNAL alert rules against a batch of friction signals (see
 * `RaiseTriggerAlertsService`, `describeSignalFiring`), queues the playbook steps and webhook tries of what it inserted,
 * acknowledges the signals to signals (`signal-alerts-done`, which clears their hand-off marker)
 * and publishes `alertRaised` once per inserted alert. Safe to run twice: alerts are keyed on
 * (rule, signal). A malformed signal is logged with its index and skipped; a payload without a
 * tenant fails without retries.
 */
export async function raiseSignalAlerts(
  job: Pick<Job<SignalAlertsBatch>, 'data' | 'id'>,
  deps: Pick<SubgraphDeps, 'orm' | 'log' | 'pubSub' | 'queues'>,
  now = new Date(),
): Promise<{ raised: Alert[]; rejected: RejectedChange[] }> {
  let work: SignalAlertsWork;
  try {
    work = readSignalAlertsJob(job.data);
  } catch (err) {
    throw new UnrecoverableError(`signal-alerts: malformed job ${job.id}: ${(err as Error).message}`);
  }
  const { tenantId, signals, rejected } = work;
  if (rejected.length) deps.log.warn({ tenantId, jobId: job.id, rejected }, 'signal-alerts: malformed signals skipped');
  // detection order (signal ids are uuidv7); segments come from the actions stage's copy of membership
  const facts: SignalFacts[] = [...signals].sort((a, b) => (a.signalId < b.signalId ? -1 : a.signalId > b.signalId ? 1 : 0)).map((s) => ({ ...s, segmentIds: [] }));
  const service = new RaiseTriggerAlertsService(forkForTenant(deps.orm, tenantId), tenantId);
  const { alerts: raised, deliveries, steps } = await service.raise('friction_signal', facts, describeSignalFiring, now);
  // after the commit; a crash before this leaves due runs that the reconciler queues
  await queuePlaybookSteps(deps.queues.get(PLAYBOOK_STEP), steps, now);
  // committed: signals may clear the hand-off marker of these signals (one ack per job)
  // every signal the job named, the malformed ones too: evaluating them again would fail again
  const named = Array.isArray(job.data.signals) ? job.data.signals.map((s) => (s as { signalId?: unknown } | null)?.signalId) : [];
  const signalIds = [...new Set(named.filter((id): id is string => typeof id === 'string' && isUuid(id)))];
  if (signalIds.length) await deps.queues.get(SIGNAL_ALERTS_DONE).add(SIGNAL_ALERTS_DONE, { tenantId, signalIds }, { jobId: `${String(job.id)}-done` });
  // after the commit, and only for rows this job inserted: a replay publishes nothing
  for (const alert of raised) deps.pubSub.publish(ALERT_RAISED, tenantId, alertRaisedEvent(alert));
  // the outbox rows are committed: a crash before this line leaves them to the delivery sweeper
  await queueDeliveryTries(deps.queues, deliveries);
  if (raised.length) deps.log.info({ tenantId, jobId: job.id, alerts: raised.length, signals: signals.length }, 'friction signal alerts raised');
  return { raised, rejected };
}

export function startRaiseSignalAlertsWorker(deps: SubgraphDeps): Worker<SignalAlertsBatch> {
  const worker = new Worker<SignalAlertsBatch>(
    SIGNAL_ALERTS,
    async (job) => void (await raiseSignalAlerts(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix, SIGNAL_ALERTS_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'signal-alerts worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
