import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { PLAYBOOK_EVENTS_DONE, STAGE_CONCURRENCY, workerOptions, type PlaybookEventsDoneJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { Event } from '../entities/event.entity';

/**
 * Actions has matched these events against its waiting playbook runs (`playbook-events`
 * committed): clears their `playbookEventsPendingSince` where it is not newer than `upTo`, one
 * UPDATE per acknowledged job (the job's own and those gathered into it, `also`). Until this
 * runs, `sweep-events` resends them once the marker is older than the grace period. Safe to run
 * twice; a malformed payload fails for good.
 */
export async function playbookEventsDone(job: Pick<Job<PlaybookEventsDoneJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm'>): Promise<number> {
  const problem = payloadProblem(job.data);
  if (problem) throw new UnrecoverableError(`playbook-events-done: malformed job ${job.id}: ${problem}`);
  const { tenantId, eventIds, upTo, also = [] } = job.data;
  const events = forkForTenant(deps.orm, tenantId).getRepository(Event);
  let cleared = 0;
  for (const group of [{ eventIds, upTo }, ...also]) cleared += await events.playbookEventsDone(tenantId, group.eventIds, new Date(group.upTo));
  return cleared;
}

function payloadProblem(data: PlaybookEventsDoneJob | undefined): string | null {
  if (!data || typeof data !== 'object') return 'no payload';
  if (typeof data.tenantId !== 'string' || !data.tenantId) return 'tenantId is required';
  if (data.also !== undefined && !Array.isArray(data.also)) return 'also must be an array';
  const groups: [string, unknown][] = [['', data], ...(data.also ?? []).map((g, i): [string, unknown] => [`also[${i}].`, g])];
  for (const [at, group] of groups) {
    if (!group || typeof group !== 'object') return `${at.slice(0, -1)} must be an object`;
    const { upTo, eventIds } = group as Partial<PlaybookEventsDoneJob>;
    if (typeof upTo !== 'string' || Number.isNaN(Date.parse(upTo))) return `${at}upTo must be an ISO time`;
    if (!Array.isArray(eventIds)) return `${at}eventIds must be an array`;
    const bad = eventIds.findIndex((id) => typeof id !== 'string' || !isUuid(id));
    if (bad >= 0) return `${at}eventIds[${bad}] must be a UUID`;
  }
  return null;
}

export function startPlaybookEventsDoneWorker(deps: SubgraphDeps): Worker<PlaybookEventsDoneJob> {
  const worker = new Worker<PlaybookEventsDoneJob>(PLAYBOOK_EVENTS_DONE, (job) => playbookEventsDone(job, deps), workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY));
  worker.on('error', (err) => deps.log.error({ err }, 'playbook-events-done worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
