import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { PLAYBOOK_EVENTS_DONE, STAGE_CONCURRENCY, workerOptions, type PlaybookEventsDoneJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { Event } from '../entities/event.entity';

/**
 * Actions has matched these events against its waiting playbook runs (`playbook-events`
 * committed): clears their `playbookEventsPendingSince` where it is not newer than `upTo`, one
 * UPDATE. Until this runs, `sweep-events` resends them once the marker is older than the grace
 * period. Safe to run twice; a malformed payload fails for good.
 */
export async function playbookEventsDone(job: Pick<Job<PlaybookEventsDoneJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm'>): Promise<number> {
  const problem = payloadProblem(job.data);
  if (problem) throw new UnrecoverableError(`playbook-events-done: malformed job ${job.id}: ${problem}`);
  const { tenantId, eventIds, upTo } = job.data;
  return forkForTenant(deps.orm, tenantId).getRepository(Event).playbookEventsDone(tenantId, eventIds, new Date(upTo));
}

function payloadProblem(data: PlaybookEventsDoneJob | undefined): string | null {
  if (!data || typeof data !== 'object') return 'no payload';
  if (typeof data.tenantId !== 'string' || !data.tenantId) return 'tenantId is required';
  if (typeof data.upTo !== 'string' || Number.isNaN(Date.parse(data.upTo))) return 'upTo must be an ISO time';
  if (!Array.isArray(data.eventIds)) return 'eventIds must be an array';
  const bad = data.eventIds.findIndex((id) => typeof id !== 'string' || !isUuid(id));
  return bad >= 0 ? `eventIds[${bad}] must be a UUID` : null;
}

export function startPlaybookEventsDoneWorker(deps: SubgraphDeps): Worker<PlaybookEventsDoneJob> {
  const worker = new Worker<PlaybookEventsDoneJob>(PLAYBOOK_EVENTS_DONE, (job) => playbookEventsDone(job, deps), workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY));
  worker.on('error', (err) => deps.log.error({ err }, 'playbook-events-done worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
