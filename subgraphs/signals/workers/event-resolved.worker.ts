import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { DETECT_FRICTION, EVENT_RESOLVED, workerOptions, type EventsResolvedBatch, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { EventService } from '../services/event.service';

type EventResolvedJob = JobPayloads[typeof EVENT_RESOLVED];

/**
 * The profiles stage resolved an event: store its profile and mark it processed, so the sweeper
 * leaves it alone, then queue friction detection for it (`detect-friction`, job id
 * `<tenantId>-<eventId>`: queued again by a replay, it still runs once while its job exists).
 * Events without a name (identify, alias, group) or without a profile (every identifier was junk)
 * feed no detector and are not queued. Safe to run twice. Takes the batch form (one job per
 * resolve job) and the lone form (a job queued before batches existed).
 */
export async function eventResolved(job: Pick<Job<EventResolvedJob>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'orm' | 'log' | 'queues'>): Promise<void> {
  const data = job.data;
  if (data && 'events' in data) return eventsResolved(data, job.id, deps);
  await oneEventResolved(job.id, data, deps);
}

/** Events of a batch handled at once: as many as lone jobs ran side by side (the worker's concurrency). */
const BATCH_LANES = 8;

/**
 * A batch from the profiles stage: each event as a lone job would be, up to `BATCH_LANES` at once
 * (lone jobs never ran in order either; a batch done one by one outlasts a short worker lock).
 * Every event is tried; then the first failure fails the job (unrecoverable only when every
 * failure was).
 */
async function eventsResolved(batch: EventsResolvedBatch, jobId: string | undefined, deps: Pick<SubgraphDeps, 'orm' | 'log' | 'queues'>): Promise<void> {
  if (!Array.isArray(batch.events)) throw new UnrecoverableError(`event-resolved: malformed job ${jobId}`);
  const failures: unknown[] = [];
  let next = 0;
  const lane = async () => {
    while (next < batch.events.length) {
      const { eventId, profileId } = batch.events[next++];
      await oneEventResolved(jobId, { tenantId: batch.tenantId, eventId, profileId }, deps).catch((err: unknown) => failures.push(err));
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_LANES, batch.events.length) }, lane));
  if (failures.length === 0) return;
  if (failures.every((err) => err instanceof UnrecoverableError)) throw failures[0];
  throw failures.find((err) => !(err instanceof UnrecoverableError));
}

async function oneEventResolved(
  jobId: string | undefined,
  data: { tenantId: string; eventId: string; profileId: string | null } | undefined,
  deps: Pick<SubgraphDeps, 'orm' | 'log' | 'queues'>,
): Promise<void> {
  const { tenantId, eventId, profileId } = data ?? ({} as { tenantId: string; eventId: string; profileId: string | null });
  const validProfile = profileId === null || (typeof profileId === 'string' && isUuid(profileId));
  if (typeof tenantId !== 'string' || !tenantId || typeof eventId !== 'string' || !validProfile) {
    throw new UnrecoverableError(`event-resolved: malformed job ${jobId}`);
  }
  const event = await new EventService(deps.orm.em.fork(), tenantId).markResolved(eventId, profileId);
  if (!event) throw new UnrecoverableError(`event-resolved: no event ${eventId} in tenant ${tenantId} (job ${jobId})`);
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
