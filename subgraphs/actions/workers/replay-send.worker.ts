import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';

import { REPLAY_SEND, workerOptions, type ReplaySendJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import type { PlaybookCollaborators } from '../services/playbook-collaborators';
import { RunReplayService, type ReplayTaken } from '../services/run-replay.service';

/** Replays one process takes at once: rare, and each waits on a provider. */
export const REPLAY_SEND_CONCURRENCY = 4;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Takes one replay of a dead-lettered send (see `RunReplayService`). A retryable provider failure
 * throws, and the job retries with the queue's exponential backoff until the row's tries reach
 * `maxSendAttempts`; a replay that falls in quiet hours goes back to the delayed set until they end.
 */
export async function runReplaySend(
  job: Pick<Job<ReplaySendJob>, 'data' | 'id'> & Partial<Pick<Job<ReplaySendJob>, 'moveToDelayed'>>,
  deps: Pick<SubgraphDeps, 'orm' | 'log' | 'queues'>,
  collaborators: PlaybookCollaborators,
  token?: string,
): Promise<ReplayTaken> {
  const { tenantId, deliveryId, replay } = job.data ?? ({} as ReplaySendJob);
  if (typeof tenantId !== 'string' || !tenantId) throw new UnrecoverableError(`replay-send: malformed job ${job.id}: tenantId is required`);
  if (typeof deliveryId !== 'string' || !UUID.test(deliveryId)) throw new UnrecoverableError(`replay-send: malformed job ${job.id}: deliveryId must be a uuid`);
  if (!Number.isInteger(replay) || replay < 1) throw new UnrecoverableError(`replay-send: malformed job ${job.id}: replay must be a positive integer`);
  const taken = await new RunReplayService(forkForTenant(deps.orm, tenantId), tenantId, collaborators, deps.queues).take({ tenantId, deliveryId, replay });
  if (taken.kind === 'early' && job.moveToDelayed && token) {
    await job.moveToDelayed(Date.now() + Math.max(0, taken.dueAt.getTime() - collaborators.now().getTime()), token);
    throw new DelayedError();
  }
  if (taken.kind === 'done') deps.log.info({ tenantId, deliveryId, replay, status: taken.outcome.status }, 'dead-lettered send replayed');
  return taken;
}

export function startReplaySendWorker(deps: SubgraphDeps, collaborators: PlaybookCollaborators): Worker<ReplaySendJob> {
  const worker = new Worker<ReplaySendJob>(REPLAY_SEND, async (job, token) => void (await runReplaySend(job, deps, collaborators, token)), workerOptions(deps.redis, deps.config.queuePrefix, REPLAY_SEND_CONCURRENCY));
  worker.on('error', (err) => deps.log.error({ err }, 'replay-send worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
