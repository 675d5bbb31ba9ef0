import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';

import { PLAYBOOK_STEP, workerOptions, type PlaybookStepJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import type { PlaybookCollaborators } from '../services/playbook-collaborators';
import { queuePlaybookSteps } from '../services/queue-playbook-steps';
import { RunStepService, type StepTaken } from '../services/run-step.service';

/** Steps one process takes at once: sends wait on providers, so several at a time keep up. */
export const PLAYBOOK_STEP_CONCURRENCY = 8;
const STEP_ID = /^[a-z0-9_]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Takes one step of a run (see `RunStepService`) and queues the next one. Safe to run twice; a
 * crash after the commit and before the next step is queued leaves a due run the reconciler
 * queues. A step run early (a clock ahead of Redis's) goes back to the delayed set until due.
 */
export async function runPlaybookStep(
  job: Pick<Job<PlaybookStepJob>, 'data' | 'id'> & Partial<Pick<Job<PlaybookStepJob>, 'moveToDelayed'>>,
  deps: Pick<SubgraphDeps, 'orm' | 'log' | 'queues'> & Partial<Pick<SubgraphDeps, 'pubSub'>>,
  collaborators: PlaybookCollaborators,
  token?: string,
): Promise<StepTaken> {
  const { tenantId, runId, stepId, visit } = job.data ?? ({} as PlaybookStepJob);
  if (typeof tenantId !== 'string' || !tenantId) throw new UnrecoverableError(`playbook-step: malformed job ${job.id}: tenantId is required`);
  if (typeof runId !== 'string' || !UUID.test(runId)) throw new UnrecoverableError(`playbook-step: malformed job ${job.id}: runId must be a uuid`);
  if (typeof stepId !== 'string' || !STEP_ID.test(stepId)) throw new UnrecoverableError(`playbook-step: malformed job ${job.id}: stepId must be a step id`);
  if (!Number.isInteger(visit) || visit < 1) throw new UnrecoverableError(`playbook-step: malformed job ${job.id}: visit must be a positive integer`);
  const taken = await new RunStepService(forkForTenant(deps.orm, tenantId), tenantId, collaborators, deps.queues, deps.pubSub).take({ tenantId, runId, stepId, visit });
  if (taken.kind === 'advanced' && taken.next) await queuePlaybookSteps(deps.queues.get(PLAYBOOK_STEP), [taken.next], collaborators.now());
  if (taken.kind === 'early' && job.moveToDelayed && token) {
    await job.moveToDelayed(Date.now() + Math.max(0, taken.dueAt.getTime() - collaborators.now().getTime()), token);
    throw new DelayedError();
  }
  if (taken.kind === 'advanced') deps.log.debug({ tenantId, runId, stepId, visit, next: taken.next?.stepId ?? null }, 'playbook step taken');
  return taken;
}

export function startPlaybookStepWorker(deps: SubgraphDeps, collaborators: PlaybookCollaborators): Worker<PlaybookStepJob> {
  const worker = new Worker<PlaybookStepJob>(
    PLAYBOOK_STEP,
    async (job, token) => void (await runPlaybookStep(job, deps, collaborators, token)),
    workerOptions(deps.redis, deps.config.queuePrefix, PLAYBOOK_STEP_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'playbook-step worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
