import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { RAISE_ALERTS, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { AlertService } from '../services/alert.service';

type RaiseAlertsJob = JobPayloads[typeof RAISE_ALERTS];

/** Turns a risk bucket crossing into an alert. Safe to run twice: the alert is keyed on the score. */
export async function raiseAlerts(job: Pick<Job<RaiseAlertsJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm' | 'log'>): Promise<void> {
  const { tenantId, profileId, scoreId } = job.data ?? ({} as RaiseAlertsJob);
  if (!tenantId || !profileId || !scoreId) throw new UnrecoverableError(`raise-alerts: malformed job ${job.id}`);
  const alert = await new AlertService(deps.orm.em.fork(), tenantId).raiseForCrossing(job.data);
  if (alert) deps.log.info({ tenantId, profileId, alertId: alert.id, jobId: job.id }, 'alert raised');
}

export function startRaiseAlertsWorker(deps: SubgraphDeps): Worker<RaiseAlertsJob> {
  const worker = new Worker<RaiseAlertsJob>(
    RAISE_ALERTS,
    (job) => raiseAlerts(job, deps),
    workerOptions(deps.redis, deps.config.queuePrefix),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'raise-alerts worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
