import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';

import { ESCALATE_TASK, workerOptions, type EscalateTaskJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { publishTaskAssigned } from '../services/publish-task';
import { TaskEscalationService, type EscalationTaken } from '../services/task-escalation.service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Escalates one task if it is still open at its due time (see `TaskEscalationService`). Safe to
 * run twice (a compare-and-set on `escalatedAt`); a job run early goes back to the delayed set.
 */
export async function escalateTask(
  job: Pick<Job<EscalateTaskJob>, 'data' | 'id'> & Partial<Pick<Job<EscalateTaskJob>, 'moveToDelayed'>>,
  deps: Pick<SubgraphDeps, 'orm' | 'log'> & Partial<Pick<SubgraphDeps, 'pubSub'>>,
  now: () => Date,
  token?: string,
): Promise<EscalationTaken> {
  const { tenantId, taskId } = job.data ?? ({} as EscalateTaskJob);
  if (typeof tenantId !== 'string' || !tenantId) throw new UnrecoverableError(`escalate-task: malformed job ${job.id}: tenantId is required`);
  if (typeof taskId !== 'string' || !UUID.test(taskId)) throw new UnrecoverableError(`escalate-task: malformed job ${job.id}: taskId must be a uuid`);
  const taken = await new TaskEscalationService(forkForTenant(deps.orm, tenantId), tenantId).escalate(taskId, now());
  if (taken.kind === 'early' && job.moveToDelayed && token) {
    await job.moveToDelayed(Date.now() + Math.max(0, taken.dueAt.getTime() - now().getTime()), token);
    throw new DelayedError();
  }
  if (taken.kind === 'escalated') publishTaskAssigned(deps.pubSub, taken.task, 'escalated');
  if (taken.kind === 'escalated') deps.log.info({ tenantId, taskId, team: taken.task.team, priority: taken.task.priority }, 'task escalated');
  return taken;
}

export function startEscalateTaskWorker(deps: SubgraphDeps, now: () => Date): Worker<EscalateTaskJob> {
  const worker = new Worker<EscalateTaskJob>(ESCALATE_TASK, async (job, token) => void (await escalateTask(job, deps, now, token)), workerOptions(deps.redis, deps.config.queuePrefix, 4));
  worker.on('error', (err) => deps.log.error({ err }, 'escalate-task worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
