import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { ALERT_RAISED } from '../../common/pubsub';
import { JOURNEY_ALERTS, JOURNEY_ALERTS_DONE, PLAYBOOK_STEP, workerOptions, type JourneyAlertsBatch } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { describeJourneyFiring, type JourneyStateFacts } from '../domain/evaluate-journey-rules';
import { readJourneyAlertsJob, type JourneyAlertsWork } from '../domain/read-journey-alerts-job';
import type { RejectedChange } from '../domain/read-raise-alerts-job';
import type { Alert } from '../entities/alert.entity';
import { alertRaisedEvent } from '../services/alert-event';
import { queuePlaybookSteps } from '../services/queue-playbook-steps';
import { RaiseTriggerAlertsService } from '../services/raise-trigger-alerts.service';
import { queueDeliveryTries } from '../services/webhook-delivery.service';

/** Batches one process evaluates at once: one, as for `raise-alerts` (rule states per profile). */
export const JOURNEY_ALERTS_CONCURRENCY = 1;

/**
 * Evaluates the tenant's JOURNEY alert rules against the states journey instances reached (see
 * `RaiseTriggerAlertsService`, `describeJourneyFiring`), in the order they began; queues the
 * playbook steps and webhook tries of what it inserted, acknowledges the instances' markers to
 * signals (`journey-alerts-done`) and publishes `alertRaised` once per inserted alert. Safe to
 * run twice: alerts are keyed on (rule, instance, state[, step]). A malformed state is logged and
 * skipped; a malformed payload fails without retries.
 */
export async function raiseJourneyAlerts(
  job: Pick<Job<JourneyAlertsBatch>, 'data' | 'id'>,
  deps: Pick<SubgraphDeps, 'orm' | 'log' | 'pubSub' | 'queues'>,
  now = new Date(),
): Promise<{ raised: Alert[]; rejected: RejectedChange[] }> {
  let work: JourneyAlertsWork;
  try {
    work = readJourneyAlertsJob(job.data);
  } catch (err) {
    throw new UnrecoverableError(`journey-alerts: malformed job ${job.id}: ${(err as Error).message}`);
  }
  const { tenantId, states, pending, rejected } = work;
  if (rejected.length) deps.log.warn({ tenantId, jobId: job.id, rejected }, 'journey-alerts: malformed states skipped');
  const facts: JourneyStateFacts[] = [...states].sort((a, b) => a.at.getTime() - b.at.getTime()).map((s) => ({ ...s, segmentIds: [] }));
  const service = new RaiseTriggerAlertsService(forkForTenant(deps.orm, tenantId), tenantId);
  const { alerts: raised, deliveries, steps } = await service.raise('journey', facts, describeJourneyFiring, now);
  // after the commit; a crash before this leaves due runs that the reconciler queues
  await queuePlaybookSteps(deps.queues.get(PLAYBOOK_STEP), steps, now);
  // committed: signals may clear these markers (a later change of an instance keeps its own)
  if (pending.length) await deps.queues.get(JOURNEY_ALERTS_DONE).add(JOURNEY_ALERTS_DONE, { tenantId, pending }, { jobId: `${String(job.id)}-done` });
  // after the commit, and only for rows this job inserted: a replay publishes nothing
  for (const alert of raised) deps.pubSub.publish(ALERT_RAISED, tenantId, alertRaisedEvent(alert));
  // the outbox rows are committed: a crash before this line leaves them to the delivery sweeper
  await queueDeliveryTries(deps.queues, deliveries);
  if (raised.length) deps.log.info({ tenantId, jobId: job.id, alerts: raised.length, states: states.length }, 'journey alerts raised');
  return { raised, rejected };
}

export function startRaiseJourneyAlertsWorker(deps: SubgraphDeps): Worker<JourneyAlertsBatch> {
  const worker = new Worker<JourneyAlertsBatch>(
    JOURNEY_ALERTS,
    async (job) => void (await raiseJourneyAlerts(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix, JOURNEY_ALERTS_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'journey-alerts worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
