import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { RAISE_ALERTS, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { AlertService } from '../services/alert.service';
import { survivorOf } from '../services/follow-merges';

type RaiseAlertsJob = JobPayloads[typeof RAISE_ALERTS];

/**
 * Turns a risk bucket crossing into an alert, on the profile's survivor when it was merged away.
 * Safe to run twice: the alert is keyed on the score.
 */
export async function raiseAlerts(job: Pick<Job<RaiseAlertsJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm' | 'log'>): Promise<void> {
  const { tenantId, profileId, scoreId } = job.data ?? ({} as RaiseAlertsJob);
  if (!tenantId || !profileId || !scoreId) throw new UnrecoverableError(`raise-alerts: malformed job ${job.id}`);
  const em = forkForTenant(deps.orm, tenantId);
  const alert = await new AlertService(em, tenantId).raiseForCrossing({ ...job.data, profileId: await survivorOf(em, tenantId, profileId) });
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
