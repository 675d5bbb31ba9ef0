import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { RECORD_ACTIVITY, SCORE_PROFILE, STAGE_BATCH_MAX, STAGE_CONCURRENCY, workerOptions, type JobPayloads, type RecordActivityBatch, type RecordActivityJob } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { meterCompletedJobs } from '../../common/stage-meter';
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
  deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'config' | 'pubSub' | 'log' | 'redis'>,
  now?: Date,
): Promise<void> {
  const { tenantId, items, lane } = batchOf(job, deps);
  const em = forkForTenant(deps.orm, tenantId);
  const touched = await new ActivityService(em, tenantId).recordMany(items);
  // stored and committed: signals may stop watching these events (after the scoring below, which
  // is what a subscriber waits for)
  const acknowledge = () => acknowledgeActivity(deps.queues, job.id ?? `${tenantId}-${sourceKey(items[0])}-${sourceKey(items.at(-1)!)}`, tenantId, items);
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

export function startRecordActivityWorker(deps: SubgraphDeps): Worker<RecordActivityPayload> {
  const worker = new Worker<RecordActivityPayload>(RECORD_ACTIVITY, (job) => recordActivity(job, deps), workerOptions(deps.redis, deps.config.queuePrefix, STAGE_CONCURRENCY));
  worker.on('error', (err) => deps.log.error({ err }, 'record-activity worker error'));
  // the stage's rate is in events (signals, snapshots and segment changes ride along)
  meterCompletedJobs(worker, deps, 'risk', (data) => ('items' in data && Array.isArray(data.items) ? data.items.filter((i) => i?.kind === 'event').length : Number('kind' in data && data.kind === 'event')));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
