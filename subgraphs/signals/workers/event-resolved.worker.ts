import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { EVENT_RESOLVED, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { EventService } from '../services/event.service';

type EventResolvedJob = JobPayloads[typeof EVENT_RESOLVED];

/**
 * The profiles stage resolved an event: store its profile and mark it processed, so the sweeper
 * leaves it alone. Safe to run twice. (Friction detection will start here, issue #4.)
 */
export async function eventResolved(job: Pick<Job<EventResolvedJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm' | 'log'>): Promise<void> {
  const { tenantId, eventId, profileId } = job.data ?? ({} as EventResolvedJob);
  if (typeof tenantId !== 'string' || !tenantId || typeof eventId !== 'string' || typeof profileId !== 'string' || !isUuid(profileId)) {
    throw new UnrecoverableError(`event-resolved: malformed job ${job.id}`);
  }
  const event = await new EventService(deps.orm.em.fork(), tenantId).markResolved(eventId, profileId);
  if (!event) throw new UnrecoverableError(`event-resolved: no event ${eventId} in tenant ${tenantId} (job ${job.id})`);
}

export function startEventResolvedWorker(deps: SubgraphDeps): Worker<EventResolvedJob> {
  const worker = new Worker<EventResolvedJob>(
    EVENT_RESOLVED,
    (job) => eventResolved(job, deps),
    workerOptions(deps.redis, deps.config.queuePrefix),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'event-resolved worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
