import { UnrecoverableError, type Job, type Worker } from 'bullmq';

import { isUuid } from '../../common/ids';
import { startCoalescingWorker, type CoalescedPass } from '../../common/job-coalescing';
import { EVENT_RESOLVED, SHARED_PASS_MAX_ITEMS, STAGE_BATCH_MAX, STAGE_CONCURRENCY, type EventsResolvedBatch, type JobPayloads } from '../../common/queues';
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
 * watermark if the batch had events without a profile.
 */
export async function eventResolved(job: Pick<Job<EventResolvedJob>, 'data' | 'id'>, deps: ResolvedBatchDeps): Promise<ResolvedBatchOutcome> {
  const batch = asBatch(job.data);
  if (!batch) throw new UnrecoverableError(`event-resolved: malformed job ${job.id}`);
  const outcome = await processResolvedBatch(batch, deps);
  if (!outcome) throw new UnrecoverableError(`event-resolved: no event of job ${job.id} in tenant ${batch.tenantId}`);
  if (outcome.events < batch.events.length) deps.log.warn({ jobId: job.id, missing: batch.events.length - outcome.events }, 'event-resolved: events of the batch not found');
  await refreshWatermark(outcome, batch.tenantId, deps);
  return outcome;
}

/**
 * Refreshes the tenant's handed-on watermark (two grouped queries) when the batch had events
 * without a profile: their hand-off ended here. Events handed on to risk move it only when risk
 * acknowledges them, and `activity-recorded` refreshes it then. A lost refresh only delays a
 * waiting training until the sweeper's next tick.
 */
async function refreshWatermark(outcome: ResolvedBatchOutcome, tenantId: string, deps: ResolvedBatchDeps): Promise<void> {
  if (outcome.unattributed === 0) return;
  await publishHandedOnWatermark(forkForTenant(deps.orm, tenantId), deps, tenantId).catch((err: unknown) =>
    deps.log.warn({ err, tenantId }, 'event-resolved: handed-on watermark not refreshed'),
  );
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
 * A pass of the detect stage (see `runCoalescedPass`): the batches of the jobs taken together run
 * as one `processResolvedBatch` per tenant and lane, over their events in queue order.
 */
export function eventResolvedPass(deps: ResolvedBatchDeps): CoalescedPass<EventResolvedJob, EventsResolvedBatch> {
  return {
    parse: (job) => asBatch(job.data) ?? { malformed: `event-resolved: malformed job ${job.id}` },
    groupKey: (batch) => `${batch.tenantId}\u0000${batch.lane ?? 'live'}`,
    runGroup: async (batches) => {
      const merged = mergeBatches(batches);
      const outcome = await processResolvedBatch(merged, deps);
      if (!outcome) deps.log.warn({ tenantId: merged.tenantId, events: merged.events.length }, 'event-resolved: no event of the pass found in the tenant');
      else await refreshWatermark(outcome, merged.tenantId, deps);
    },
    runAlone: async (job) => void (await eventResolved(job, deps)),
  };
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
  return startCoalescingWorker(deps, {
    queue: EVENT_RESOLVED,
    concurrency: STAGE_CONCURRENCY,
    limits: { maxJobs: DETECT_PASS_MAX_JOBS, maxItems: DETECT_PASS_MAX_EVENTS, sharedMaxItems: SHARED_PASS_MAX_ITEMS, itemsOf: eventsOf },
    pass: eventResolvedPass(deps),
    meter: { stage: 'detect', unitsOf: eventsOf },
  });
}
