import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { DETECT_FRICTION, EVENT_RESOLVED, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { EventService } from '../services/event.service';

type EventResolvedJob = JobPayloads[typeof EVENT_RESOLVED];

/**
 * The profiles stage resolved an event: store its profile and mark it processed, so the sweeper
 * leaves it alone, then queue friction detection for it (`detect-friction`, job id
 * `<tenantId>-<eventId>`: queued again by a replay, it still runs once while its job exists).
 * Events without a name (identify, alias, group) or without a profile (every identifier was junk)
 * feed no detector and are not queued. Safe to run twice.
 */
export async function eventResolved(job: Pick<Job<EventResolvedJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm' | 'log' | 'queues'>): Promise<void> {
  const { tenantId, eventId, profileId } = job.data ?? ({} as EventResolvedJob);
  const validProfile = profileId === null || (typeof profileId === 'string' && isUuid(profileId));
  if (typeof tenantId !== 'string' || !tenantId || typeof eventId !== 'string' || !validProfile) {
    throw new UnrecoverableError(`event-resolved: malformed job ${job.id}`);
  }
  const event = await new EventService(deps.orm.em.fork(), tenantId).markResolved(eventId, profileId);
  if (!event) throw new UnrecoverableError(`event-resolved: no event ${eventId} in tenant ${tenantId} (job ${job.id})`);
  const owner = event.profileId ?? profileId;
  // no detector needs an unnamed event (identify, alias, group) or one that belongs to nobody
  if (event.name === null || owner === null) return;
  await deps.queues.get(DETECT_FRICTION).add(DETECT_FRICTION, { tenantId, eventId, profileId: owner }, { jobId: `${tenantId}-${eventId}` });
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
