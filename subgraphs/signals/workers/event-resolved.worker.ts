import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { dropTakenJob, settleTakenJobs, takeWaitingJobs } from '../../common/job-coalescing';
import { meterCompletedJobs, meterTakenJobs } from '../../common/stage-meter';
import { EVENT_RESOLVED, STAGE_BATCH_MAX, STAGE_CONCURRENCY, workerOptions, type EventsResolvedBatch, type JobPayloads } from '../../common/queues';
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

/** Jobs and events one pass of the detect stage takes at most (see `takeWaitingJobs`). */
export const DETECT_PASS_MAX_JOBS = 20;
export const DETECT_PASS_MAX_EVENTS = STAGE_BATCH_MAX;

/**
 * Runs `first` together with the jobs already waiting behind it: one `processResolvedBatch` per
 * tenant and lane, over their events in queue order. A malformed extra job fails alone; a failed
 * pass fails every job of it (each is retried on its own). Returns the extra jobs it completed.
 */
export async function eventResolvedPass(
  first: Pick<Job<EventResolvedJob>, 'data' | 'id'>,
  extra: readonly Job<EventResolvedJob>[],
  token: string,
  deps: ResolvedBatchDeps,
): Promise<Job<EventResolvedJob>[]> {
  if (extra.length === 0) {
    await eventResolved(first, deps);
    return [];
  }
  const firstBatch = asBatch(first.data);
  if (!firstBatch) {
    await settleTakenJobs(extra, token, new Error('event-resolved: taken with a malformed job; tried again'));
    throw new UnrecoverableError(`event-resolved: malformed job ${first.id}`);
  }
  const valid: Job<EventResolvedJob>[] = [];
  const groups = new Map<string, EventsResolvedBatch[]>();
  const add = (batch: EventsResolvedBatch) => {
    const key = `${batch.tenantId}\u0000${batch.lane ?? 'live'}`;
    groups.set(key, [...(groups.get(key) ?? []), batch]);
  };
  add(firstBatch);
  for (const job of extra) {
    const batch = asBatch(job.data);
    if (!batch) await dropTakenJob(job, token, `event-resolved: malformed job ${job.id}`);
    else {
      valid.push(job);
      add(batch);
    }
  }
  try {
    for (const batches of groups.values()) {
      const merged = mergeBatches(batches);
      const outcome = await processResolvedBatch(merged, deps);
      if (!outcome) deps.log.warn({ tenantId: merged.tenantId, events: merged.events.length }, 'event-resolved: no event of the pass found in the tenant');
      await publishHandedOnWatermark(forkForTenant(deps.orm, merged.tenantId), deps, merged.tenantId).catch((err: unknown) =>
        deps.log.warn({ err, tenantId: merged.tenantId }, 'event-resolved: handed-on watermark not refreshed'),
      );
    }
  } catch (err) {
    await settleTakenJobs(valid, token, err as Error);
    throw err;
  }
  await settleTakenJobs(valid, token);
  return valid;
}

/** Batches of one tenant and lane as one, events in queue order (a re-send keeps its marker). */
function mergeBatches(batches: readonly EventsResolvedBatch[]): EventsResolvedBatch {
  const [head] = batches;
  const resend = batches.find((b) => b.resend)?.resend;
  return {
    tenantId: head.tenantId,
    events: batches.flatMap((b) => b.events),
    ...(resend && { resend }),
    ...(head.lane && { lane: head.lane }),
  };
}

const eventsOf = (data: EventResolvedJob) => ('events' in data && Array.isArray(data.events) ? data.events.length : 1);

export function startEventResolvedWorker(deps: SubgraphDeps): Worker<EventResolvedJob> {
  const limits = { maxJobs: DETECT_PASS_MAX_JOBS, maxItems: DETECT_PASS_MAX_EVENTS, itemsOf: eventsOf };
  const worker: Worker<EventResolvedJob> = new Worker<EventResolvedJob>(
    EVENT_RESOLVED,
    async (job, token) => {
      // the jobs waiting behind this one go in the same pass (see job-coalescing.ts)
      const extra = token ? await takeWaitingJobs(worker, token, job, limits) : [];
      const done = await eventResolvedPass(job, extra, token ?? '', deps);
      // jobs completed by hand emit no 'completed' event: meter them here (events, wait and run)
      await meterTakenJobs(deps, 'detect', done, eventsOf);
    },
    workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'event-resolved worker error'));
  meterCompletedJobs(worker, deps, 'detect', eventsOf);
  deps.shutdown.defer(() => worker.close());
  return worker;
}
