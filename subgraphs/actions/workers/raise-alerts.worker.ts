import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { ALERT_RAISED } from '../../common/pubsub';
import { PLAYBOOK_STEP, RAISE_ALERTS, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { acknowledgeScoreFollowUps } from '../../common/score-follow-ups-done';
import { forkForTenant } from '../../common/tenant-filter';
import { readRaiseAlertsJob, type RaiseAlertsWork, type RejectedChange } from '../domain/read-raise-alerts-job';
import type { Alert } from '../entities/alert.entity';
import { alertRaisedEvent } from '../services/alert-event';
import { queuePlaybookSteps } from '../services/queue-playbook-steps';
import { RaiseAlertsService } from '../services/raise-alerts.service';
import { queueDeliveryTries } from '../services/webhook-delivery.service';

type RaiseAlertsJob = JobPayloads[typeof RAISE_ALERTS];

/**
 * Batches one process evaluates at once: one. Two batches carrying the same profile would both
 * read its (rule, profile) state before either wrote it, and could both fire (or break a
 * cool-down); a batch costs a few statements, so one at a time keeps up.
 */
export const RAISE_ALERTS_CONCURRENCY = 1;

/**
 * Evaluates the tenant's alert rules against a batch of risk changes (see `RaiseAlertsService`)
 * and publishes `alertRaised` for each alert it inserted, then acknowledges the batch's scores to
 * risk (`score-follow-ups-done`), which clears their hand-off marker. Safe to run twice: alerts are keyed on
 * (rule, score), and states skip scores already seen. A malformed change is logged with its index
 * and skipped, the others are kept; a payload without a tenant fails without retries.
 */
export async function raiseAlerts(
  job: Pick<Job<RaiseAlertsJob>, 'data' | 'id'>,
  deps: Pick<SubgraphDeps, 'orm' | 'log' | 'pubSub' | 'queues'>,
  now = new Date(),
): Promise<{ raised: Alert[]; rejected: RejectedChange[] }> {
  let work: RaiseAlertsWork;
  try {
    work = readRaiseAlertsJob(job.data);
  } catch (err) {
    throw new UnrecoverableError(`raise-alerts: malformed job ${job.id}: ${(err as Error).message}`);
  }
  const { tenantId, changes, rejected } = work;
  if (rejected.length) deps.log.warn({ tenantId, jobId: job.id, rejected }, 'raise-alerts: malformed changes skipped');
  const { alerts: raised, deliveries, steps } = await new RaiseAlertsService(forkForTenant(deps.orm, tenantId), tenantId).raise(changes, now);
  // after the commit; a crash before this leaves due runs that the reconciler queues
  await queuePlaybookSteps(deps.queues.get(PLAYBOOK_STEP), steps, now);
  // committed: risk may clear the hand-off marker of these scores (ids unique per job)
  await acknowledgeScoreFollowUps(deps.queues, String(job.id), tenantId, 'alerts', changes.map((c) => c.scoreId));
  // after the commit, and only for rows this job inserted: a replay publishes nothing
  for (const alert of raised) deps.pubSub.publish(ALERT_RAISED, tenantId, alertRaisedEvent(alert));
  // the outbox rows are committed: a crash before this line leaves them to the delivery sweeper
  await queueDeliveryTries(deps.queues, deliveries);
  if (raised.length) deps.log.info({ tenantId, jobId: job.id, alerts: raised.length, changes: changes.length }, 'alerts raised');
  return { raised, rejected };
}

export function startRaiseAlertsWorker(deps: SubgraphDeps): Worker<RaiseAlertsJob> {
  const worker = new Worker<RaiseAlertsJob>(
    RAISE_ALERTS,
    async (job) => void (await raiseAlerts(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix, RAISE_ALERTS_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'raise-alerts worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
