import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { ALERT_RAISED } from '../../common/pubsub';
import { PLAYBOOK_STEP, workerOptions, type QueueName } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import type { RejectedChange } from '../domain/read-raise-alerts-job';
import type { Alert } from '../entities/alert.entity';
import type { WebhookDelivery } from '../entities/webhook-delivery.entity';
import { alertRaisedEvent } from './alert-event';
import { queuePlaybookSteps, type StepToQueue } from './queue-playbook-steps';
import { queueDeliveryTries } from './webhook-delivery.service';

/** What a batch processor needs of the subgraph. */
export type AlertBatchDeps = Pick<SubgraphDeps, 'orm' | 'log' | 'pubSub' | 'queues'>;

/** What evaluating one batch inserted (committed), for the follow-ups. */
export interface RaisedBatch {
  alerts: Alert[];
  deliveries: WebhookDelivery[];
  steps: StepToQueue[];
}

/**
 * One kind of alerting batch (`raise-alerts`, `signal-alerts`, `journey-alerts`): how its payload
 * is read, what raises its alerts and how its hand-off is acknowledged to the stage that sent it.
 */
export interface AlertBatchStage<D, W extends { tenantId: string; rejected: RejectedChange[] }> {
  /** The queue, also the prefix of its log lines and errors. */
  queue: QueueName;
  /** The payload's items in a log line (`changes`, `signals`, `states`). */
  items: string;
  /** What the log says when alerts were raised. */
  raisedMessage: string;
  /** Batches one process evaluates at once (one: two batches of one profile would both read its rule state before either wrote it). */
  concurrency: number;
  /** Reads the payload; throws on one that names no tenant (malformed items go to `rejected`). */
  read(data: D): W;
  /** How many items `work` holds, for the log. */
  count(work: W): number;
  /** Evaluates the rules and stores the alerts, in one transaction. */
  raise(em: ReturnType<typeof forkForTenant>, work: W, now: Date): Promise<RaisedBatch>;
  /** Tells the sending stage the batch is evaluated (it clears its hand-off markers); idempotent per job. */
  acknowledge(deps: AlertBatchDeps, job: Pick<Job<D>, 'data' | 'id'>, work: W): Promise<void>;
}

/**
 * Runs one batch of `stage`: reads it (a payload without a tenant fails without retries; a
 * malformed item is logged with its index and skipped), raises its alerts, then, in this order
 * after the commit, queues the playbook steps of the runs it started, acknowledges the hand-off,
 * publishes `alertRaised` once per inserted alert and queues the webhook tries. Safe to run
 * twice: alerts are keyed on their trigger, and a replay inserts (and so publishes) nothing.
 */
export async function raiseAlertBatch<D, W extends { tenantId: string; rejected: RejectedChange[] }>(
  stage: AlertBatchStage<D, W>,
  job: Pick<Job<D>, 'data' | 'id'>,
  deps: AlertBatchDeps,
  now: Date,
): Promise<{ raised: Alert[]; rejected: RejectedChange[] }> {
  let work: W;
  try {
    work = stage.read(job.data);
  } catch (err) {
    throw new UnrecoverableError(`${stage.queue}: malformed job ${job.id}: ${(err as Error).message}`);
  }
  const { tenantId, rejected } = work;
  if (rejected.length) deps.log.warn({ tenantId, jobId: job.id, rejected }, `${stage.queue}: malformed ${stage.items} skipped`);
  const { alerts: raised, deliveries, steps } = await stage.raise(forkForTenant(deps.orm, tenantId), work, now);
  // after the commit; a crash before this leaves due runs that the reconciler queues
  await queuePlaybookSteps(deps.queues.get(PLAYBOOK_STEP), steps, now);
  // committed: the sending stage may clear its hand-off markers
  await stage.acknowledge(deps, job, work);
  // after the commit, and only for rows this job inserted: a replay publishes nothing
  for (const alert of raised) deps.pubSub.publish(ALERT_RAISED, tenantId, alertRaisedEvent(alert));
  // the outbox rows are committed: a crash before this line leaves them to the delivery sweeper
  await queueDeliveryTries(deps.queues, deliveries);
  if (raised.length) deps.log.info({ tenantId, jobId: job.id, alerts: raised.length, [stage.items]: stage.count(work) }, stage.raisedMessage);
  return { raised, rejected };
}

/** The BullMQ worker of `stage`, running `process` (the stage's exported processor) on each job. */
export function startAlertBatchWorker<D>(
  stage: Pick<AlertBatchStage<D, never>, 'queue' | 'concurrency'>,
  process: (job: Job<D>, deps: SubgraphDeps) => Promise<unknown>,
  deps: SubgraphDeps,
): Worker<D> {
  const worker = new Worker<D>(stage.queue, async (job) => void (await process(job, deps)), workerOptions(deps.redis, deps.config.queuePrefix, stage.concurrency));
  worker.on('error', (err) => deps.log.error({ err }, `${stage.queue} worker error`));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
