import { UnrecoverableError, type Job, type Worker } from 'bullmq';

import { isUuid } from '../../common/ids';
import { RECORD_ACTIVITY, SCORE_PROFILE, SHARED_PASS_MAX_ITEMS, STAGE_BATCH_MAX, STAGE_CONCURRENCY, type JobPayloads, type RecordActivityBatch, type RecordActivityJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { startCoalescingWorker, type CoalescedPass } from '../../common/job-coalescing';
import { forkForTenant } from '../../common/tenant-filter';
import { acknowledgeActivity } from '../services/acknowledge-activity';
import { ActivityService } from '../services/activity.service';
import { riskServiceFor } from '../services/risk-service-factory';
import { ScoringService } from '../services/scoring.service';

type RecordActivityPayload = JobPayloads[typeof RECORD_ACTIVITY];

const KINDS = new Set(['event', 'signal', 'journey', 'segment', 'merge']);

/** Whether an observation is well-formed enough to store. */
function isValidItem(item: RecordActivityJob | undefined, tenantId: string): boolean {
  return !!item && item.tenantId === tenantId && KINDS.has(item.kind) && isUuid(item.profileId) && (item.kind !== 'merge' || isUuid(item.mergedProfileId));
}

/** The key an observation is stored under (its source id), for deterministic follow-up job ids. */
function sourceKey(item: RecordActivityJob): string {
  switch (item.kind) {
    case 'event':
      return item.eventId;
    case 'signal':
      return item.signalId;
    case 'journey':
      return `${item.instanceId}-${item.state}-${item.stepIndex}`;
    case 'segment':
      return `${item.membershipId}-${item.change}`;
    case 'merge':
      return `${item.mergedProfileId}-merge`;
  }
}

/** A job's observations as a batch (a lone observation is a batch of one); malformed items are left out. */
function batchOf(job: Pick<Job<RecordActivityPayload>, 'data' | 'id'>, deps: Pick<SubgraphDeps, 'log'>): RecordActivityBatch {
  const data = job.data as Partial<RecordActivityBatch> & Partial<RecordActivityJob>;
  if (!data || typeof data.tenantId !== 'string' || !data.tenantId) throw new UnrecoverableError(`record-activity: malformed job ${job.id}`);
  if (!Array.isArray(data.items)) {
    if (!isValidItem(data as RecordActivityJob, data.tenantId)) throw new UnrecoverableError(`record-activity: malformed job ${job.id}`);
    return { tenantId: data.tenantId, items: [data as RecordActivityJob] };
  }
  const items = data.items.filter((item) => isValidItem(item, data.tenantId!));
  if (items.length < data.items.length) deps.log.error({ jobId: job.id, dropped: data.items.length - items.length }, 'record-activity: malformed items left out');
  if (items.length === 0 || data.items.length > STAGE_BATCH_MAX) throw new UnrecoverableError(`record-activity: malformed batch ${job.id}`);
  return { tenantId: data.tenantId, items, ...(data.lane === 'history' && { lane: data.lane }) };
}

/**
 * Stores a batch of observations in risk's tables (set-based, idempotent by the source ids),
 * then scores every surviving profile the batch touched (segment changes move no score): in this
 * job, set-based, when `RISK_SCORE_DEBOUNCE_MS` is 0 (no queue hop between an event and its
 * score), else in one delayed `score-profile` job for the whole batch. Last, acknowledges the
 * batch's events to signals (`acknowledgeActivity`).
 */
export async function recordActivity(
  job: Pick<Job<RecordActivityPayload>, 'data' | 'id'>,
  deps: RecordActivityDeps,
  now?: Date,
): Promise<void> {
  const batch = batchOf(job, deps);
  await recordBatch(batch, deps, now);
}

type RecordActivityDeps = Pick<SubgraphDeps, 'orm' | 'queues' | 'config' | 'pubSub' | 'log' | 'redis'>;

/** `recordActivity` for one batch. */
async function recordBatch({ tenantId, items, lane }: RecordActivityBatch, deps: RecordActivityDeps, now?: Date): Promise<void> {
  const em = forkForTenant(deps.orm, tenantId);
  const touched = await new ActivityService(em, tenantId).recordMany(items);
  // stored and committed: signals may stop watching these events (after the scoring below, which
  // is what a subscriber waits for)
  const acknowledge = () => acknowledgeActivity(deps.queues, tenantId, items, lane);
  if (touched.length === 0) return acknowledge();
  const debounceMs = deps.config.risk.scoreDebounceMs;
  if (debounceMs > 0) {
    const kinds = [...new Set(items.filter((i) => i.kind !== 'segment').map((i) => i.kind))].join('+');
    await deps.queues
      .get(SCORE_PROFILE)
      .add(
        SCORE_PROFILE,
        { tenantId, profileId: touched[0], profileIds: touched, ...(lane && { lane }), reason: `activity:${kinds}` },
        { delay: debounceMs, jobId: `${tenantId}-activity-${sourceKey(items[0])}-${sourceKey(items.at(-1)!)}` },
      );
    return acknowledge();
  }
  em.clear();
  // the batch's follow-ups (computed traits) keep its lane
  await new ScoringService(em, tenantId, riskServiceFor(deps, em, tenantId, lane)).scoreProfiles(touched, now ?? new Date());
  await acknowledge();
}

/** Jobs and items one pass of the risk stage takes at most (see `takeWaitingJobs`). */
export const RISK_PASS_MAX_JOBS = 20;
export const RISK_PASS_MAX_ITEMS = STAGE_BATCH_MAX;

const itemsOf = (data: RecordActivityPayload) => ('items' in data && Array.isArray(data.items) ? data.items.length : 1);

/**
 * A pass of the risk stage (see `runCoalescedPass`): the observations of the jobs taken together
 * are stored and scored as one batch per tenant and lane, in queue order (one scoring pass for
 * every profile they touched), acknowledged under the pass's id.
 */
export function recordActivityPass(deps: RecordActivityDeps): CoalescedPass<RecordActivityPayload, RecordActivityBatch> {
  return {
    parse: (job) => {
      try {
        return batchOf(job, deps);
      } catch (err) {
        return { malformed: (err as Error).message };
      }
    },
    groupKey: (batch) => `${batch.tenantId}\u0000${batch.lane ?? 'live'}`,
    runGroup: async (batches) => {
      const [head] = batches;
      await recordBatch({ tenantId: head.tenantId, items: batches.flatMap((b) => b.items), ...(head.lane && { lane: head.lane }) }, deps);
    },
    runAlone: (job) => recordActivity(job, deps),
  };
}

/** The stage's rate is in events (signals, snapshots and segment changes ride along). */
const eventsOf = (data: RecordActivityPayload) =>
  'items' in data && Array.isArray(data.items) ? data.items.filter((i) => i?.kind === 'event').length : Number('kind' in data && data.kind === 'event');

export function startRecordActivityWorker(deps: SubgraphDeps): Worker<RecordActivityPayload> {
  return startCoalescingWorker(deps, {
    queue: RECORD_ACTIVITY,
    concurrency: STAGE_CONCURRENCY,
    limits: { maxJobs: RISK_PASS_MAX_JOBS, maxItems: RISK_PASS_MAX_ITEMS, sharedMaxItems: SHARED_PASS_MAX_ITEMS, itemsOf },
    pass: recordActivityPass(deps),
    meter: { stage: 'risk', unitsOf: eventsOf },
  });
}
