import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { meterCompletedJobs } from '../../common/stage-meter';
import { EVENT_RESOLVED, STAGE_CONCURRENCY, workerOptions, type EventsResolvedBatch, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { publishHandedOnWatermark } from '../services/handed-on-watermark.service';
import { processResolvedBatch, type ResolvedBatchDeps, type ResolvedBatchOutcome } from '../services/resolved-batch.service';

type EventResolvedJob = JobPayloads[typeof EVENT_RESOLVED];

/**
 * The profiles stage resolved a batch of events (or one, the lone form of jobs queued before
 * batches): the signals stage takes them over, detects friction and hands the batch on to risk
 * (`processResolvedBatch`). Safe to run twice. A malformed payload, or a batch none of whose
 * events exists in the tenant, fails for good. Afterwards refreshes the tenant's handed-on
 * watermark (one grouped query).
 */
export async function eventResolved(job: Pick<Job<EventResolvedJob>, 'data' | 'id'>, deps: ResolvedBatchDeps): Promise<ResolvedBatchOutcome> {
  const batch = asBatch(job.data);
  if (!batch) throw new UnrecoverableError(`event-resolved: malformed job ${job.id}`);
  const outcome = await processResolvedBatch(batch, deps);
  if (!outcome) throw new UnrecoverableError(`event-resolved: no event of job ${job.id} in tenant ${batch.tenantId}`);
  if (outcome.events < batch.events.length) deps.log.warn({ jobId: job.id, missing: batch.events.length - outcome.events }, 'event-resolved: events of the batch not found');
  // a lost refresh only delays a waiting training until the sweeper's next tick
  await publishHandedOnWatermark(forkForTenant(deps.orm, batch.tenantId), deps, batch.tenantId).catch((err: unknown) =>
    deps.log.warn({ err, tenantId: batch.tenantId }, 'event-resolved: handed-on watermark not refreshed'),
  );
  return outcome;
}

/** The payload as a batch (the lone form becomes a batch of one); null when malformed. */
export function asBatch(data: EventResolvedJob | undefined): EventsResolvedBatch | null {
  if (!data || typeof data.tenantId !== 'string' || !data.tenantId) return null;
  const refs = 'events' in data ? data.events : [{ eventId: (data as { eventId: unknown }).eventId, profileId: (data as { profileId: unknown }).profileId }];
  if (!Array.isArray(refs) || refs.length === 0) return null;
  for (const ref of refs as { eventId: unknown; profileId: unknown }[]) {
    if (typeof ref?.eventId !== 'string' || !isUuid(ref.eventId)) return null;
    if (ref.profileId !== null && (typeof ref.profileId !== 'string' || !isUuid(ref.profileId))) return null;
  }
  const resend = 'resend' in data && typeof data.resend === 'string' ? data.resend : undefined;
  // the lane travels with the batch: an import's events stay behind live ones at risk too
  const lane = 'lane' in data && data.lane === 'history' ? data.lane : undefined;
  return { tenantId: data.tenantId, events: refs as EventsResolvedBatch['events'], ...(resend && { resend }), ...(lane && { lane }) };
}

export function startEventResolvedWorker(deps: SubgraphDeps): Worker<EventResolvedJob> {
  const worker = new Worker<EventResolvedJob>(
    EVENT_RESOLVED,
    async (job) => void (await eventResolved(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'event-resolved worker error'));
  meterCompletedJobs(worker, deps, 'detect', (data) => ('events' in data && Array.isArray(data.events) ? data.events.length : 1));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
