import { UnrecoverableError, type Job, type Worker } from 'bullmq';

import { addFairly, fairShareFor } from '../../common/fair-share';
import { isUuid } from '../../common/ids';
import { startCoalescingWorker, type CoalescedPass } from '../../common/job-coalescing';
import {
  EVENT_RESOLVED,
  RECORD_ACTIVITY,
  RESOLVE_BATCH_MAX,
  RESOLVE_IDENTITY,
  RESOLVE_CONCURRENCY,
  SHARED_PASS_MAX_ITEMS,
  type EventToResolve,
  type EventsResolvedBatch,
  type EventType,
  type ResolveIdentityJob,
} from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { safeErrorMessage } from '../../common/safe-error';
import { forkForTenant } from '../../common/tenant-filter';
import { jobFollowUps, type JobFollowUps } from '../domain/follow-ups';
import { BatchResolutionService } from '../services/batch-resolution.service';
import { IdentityResolutionService, type ResolveOutcome } from '../services/identity-resolution.service';
import { sendMergeNotices } from '../services/merge-notices';
import { queueSegmentEvaluationIfSegments } from '../services/segment-evaluations';

type ResolveDeps = Pick<SubgraphDeps, 'orm' | 'queues' | 'log' | 'config' | 'redis'>;

const EVENT_TYPES: readonly EventType[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

/** Customer groups of a job resolved at once on the per-event locked path. */
const GROUP_CONCURRENCY = 4;

/**
 * Resolves the events of one `resolve-identity` job set-based (see `BatchResolutionService`): one
 * read per table for the whole job, each touched profile written once, one short transaction per
 * chunk of customers. The customers whose events merge profiles or call `group` (and a chunk a
 * concurrent writer got to first, or that failed) go through the per-event locked path afterwards,
 * each customer's events in the order received, customers side by side. Then one `event-resolved`
 * batch goes to signals (job id `<tenantId>-<first eventId>-<last eventId>`, all events in job
 * order), one `evaluate-segments` job for every profile it touched and a merge notice per merge
 * (see `jobFollowUps`). The whole payload is checked first: a malformed one (a bug in the sender) fails
 * the job for good, naming every problem. An event that fails does not hold back the others: they
 * are resolved and their segments evaluated, then the job fails without the `event-resolved` batch
 * and BullMQ retries it; the retry replays the events already done (which changes nothing; the
 * follow-ups have deterministic job ids) and sends the batch.
 */
export async function resolveIdentity(job: Pick<Job<ResolveIdentityJob>, 'data' | 'id'>, deps: ResolveDeps): Promise<(ResolveOutcome | null)[]> {
  const problems = jobProblems(job.data);
  if (problems.length) throw new UnrecoverableError(`resolve-identity: malformed job ${job.id}: ${problems.join('; ')}`);
  const { tenantId, events } = job.data;
  const junkValues = deps.config.identity.junkValues;
  const batch = await new BatchResolutionService(forkForTenant(deps.orm, tenantId), tenantId, { junkValues }).resolve(events);
  for (const { events: size, raced, err } of batch.fallbacks) {
    // a race is expected now and then (two jobs with one new customer); anything else is worth a look
    const fields = { err, tenantId, jobId: job.id, events: size };
    if (raced) deps.log.info(fields, 'resolve-identity: a concurrent job wrote first; the chunk takes the locked path');
    else deps.log.warn(fields, 'resolve-identity: chunk not written set-based; its customers take the locked path');
  }
  // undefined until the event is resolved (null: resolved, but it had no usable identity)
  const outcomes = batch.outcomes;
  const failures: { eventId: string; err: unknown }[] = [];
  const resolveInOrder = async (group: number[]) => {
    for (const i of group) {
      if (outcomes[i] !== undefined) continue;
      try {
        outcomes[i] = await resolveEvent(events[i], deps, job.id);
      } catch (err) {
        failures.push({ eventId: events[i].eventId, err });
        deps.log.warn({ err, tenantId, eventId: events[i].eventId, jobId: job.id }, 'resolve-identity: event failed; the job will be retried');
      }
    }
  };
  await inParallel(batch.locked, GROUP_CONCURRENCY, resolveInOrder);
  const resolved = events.flatMap(({ eventId }, i) => {
    const landing = outcomes[i];
    return landing === undefined ? [] : [{ eventId, landing }];
  });
  await sendJobFollowUps(deps, job.data, jobFollowUps(resolved));
  if (failures.length) {
    // the failed reason is kept in Redis and shown by queue tools: no SQL with customer values
    const first = safeErrorMessage(failures[0].err);
    throw new Error(`resolve-identity: ${failures.length} of ${events.length} events failed (first, ${failures[0].eventId}: ${first})`);
  }
  // every event was resolved: none is undefined any more
  const done = outcomes as (ResolveOutcome | null)[];
  await sendEventsResolved(deps, {
    tenantId,
    ...(job.data.lane && { lane: job.data.lane }),
    // no profile when the event had no usable identity: signals then processes it unattributed
    // instead of sweeping it forever
    events: events.map(({ eventId }, i) => ({ eventId, profileId: done[i]?.profileId ?? null })),
  });
  return done;
}

/** Runs `run` over the items, at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await run(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** One `event-resolved` job for the whole resolve job (deterministic id: a replay queues nothing new). */
async function sendEventsResolved(deps: Pick<SubgraphDeps, 'queues' | 'redis' | 'config'>, batch: EventsResolvedBatch): Promise<void> {
  const { tenantId, events } = batch;
  const jobId = `${tenantId}-${events[0].eventId}-${events[events.length - 1].eventId}`;
  // fair share between tenants, as at every stage (see FairShare)
  await addFairly(deps.queues.get(EVENT_RESOLVED), fairShareFor(deps), [{ name: EVENT_RESOLVED, data: batch, opts: { jobId } }], (b) => b.tenantId, batch.lane);
}

/**
 * Maps a stored event to its profile (see IdentityResolutionService): one transaction keyed on
 * the event id, so running it twice changes nothing. Null when the event has no usable identity.
 */
export async function resolveEvent(event: EventToResolve, deps: ResolveDeps, jobId?: string): Promise<ResolveOutcome | null> {
  const { tenantId, eventId } = event;
  const outcome = await new IdentityResolutionService(forkForTenant(deps.orm, tenantId), tenantId, {
    junkValues: deps.config.identity.junkValues,
  }).resolve(event);
  if (!outcome) {
    deps.log.info({ tenantId, eventId, jobId }, 'event has no usable identity: processed unattributed');
    return null;
  }
  const fields = { tenantId, eventId, profileId: outcome.profileId, action: outcome.action, jobId };
  if (outcome.recorded && outcome.mergedIds.length) deps.log.info({ ...fields, mergedIds: outcome.mergedIds }, 'profiles merged');
  else deps.log.debug(fields, 'identity resolved');
  return outcome;
}

/**
 * The follow-ups of a resolve job's resolved events: one `evaluate-segments` job for every profile
 * they touched (fair-ordered in the job's lane, named after the job's first event and the profiles,
 * see `queueSegmentEvaluation`; none for a tenant without segments), and each merge to risk and
 * to the other subgraphs.
 */
async function sendJobFollowUps(
  deps: Pick<SubgraphDeps, 'queues' | 'redis' | 'config' | 'orm'>,
  job: Pick<ResolveIdentityJob, 'tenantId' | 'events' | 'lane'>,
  { evaluate, merges }: JobFollowUps,
): Promise<void> {
  const { queues } = deps;
  const { tenantId } = job;
  await queueSegmentEvaluationIfSegments(deps, { tenantId, profileIds: [...evaluate.keys()], ...(job.lane && { lane: job.lane }) }, job.events[0].eventId);
  if (merges.length) {
    await queues.get(RECORD_ACTIVITY).addBulk(
      merges.map(({ profileId, mergedProfileId }) => ({
        name: RECORD_ACTIVITY,
        data: { kind: 'merge' as const, tenantId, profileId, mergedProfileId },
        opts: { jobId: `${tenantId}-merge-${mergedProfileId}` },
      })),
    );
  }
  await sendMergeNotices(queues, tenantId, merges);
}

/** What is wrong with a job's payload, all at once; empty when it can be processed. */
function jobProblems(data: ResolveIdentityJob | undefined): string[] {
  if (!data || typeof data !== 'object') return ['no payload'];
  if (typeof data.tenantId !== 'string' || !data.tenantId) return ['tenantId is required'];
  if (!Array.isArray(data.events) || data.events.length === 0) return ['events must be a non-empty array'];
  return data.events.flatMap((event, index) =>
    eventProblems(event, data.tenantId).map((problem) => `events[${index}]: ${problem}`),
  );
}

function eventProblems(data: EventToResolve | undefined, tenantId: string): string[] {
  if (!data || typeof data !== 'object') return ['not an object'];
  const problems: string[] = [];
  const optionalString = (key: 'name' | 'userId' | 'anonymousId' | 'previousId' | 'groupId') => {
    if (data[key] !== null && data[key] !== undefined && typeof data[key] !== 'string') problems.push(`${key} must be a string or null`);
  };
  // a job never mixes tenants: an event of another tenant would be written under the wrong one
  if (data.tenantId !== tenantId) problems.push(`tenantId must be the job's (${tenantId})`);
  if (typeof data.eventId !== 'string' || !isUuid(data.eventId)) problems.push('eventId must be a UUID');
  if (!EVENT_TYPES.includes(data.type)) problems.push(`type must be one of ${EVENT_TYPES.join(', ')}`);
  if (typeof data.timestamp !== 'string' || Number.isNaN(Date.parse(data.timestamp))) problems.push('timestamp must be an ISO date');
  for (const key of ['name', 'userId', 'anonymousId', 'previousId', 'groupId'] as const) optionalString(key);
  for (const key of ['traits', 'properties'] as const) {
    if (data[key] === null || typeof data[key] !== 'object' || Array.isArray(data[key])) problems.push(`${key} must be an object`);
  }
  if (!Array.isArray(data.externalIds)) problems.push('externalIds must be an array');
  return problems;
}

/** Jobs and events one pass of the identity stage takes at most (see `takeWaitingJobs`). */
export const RESOLVE_PASS_MAX_JOBS = 10;
export const RESOLVE_PASS_MAX_EVENTS = 5 * RESOLVE_BATCH_MAX;

const eventsOf = (data: ResolveIdentityJob) => (Array.isArray(data?.events) ? data.events.length : 0);

/**
 * A pass of the identity stage (see `runCoalescedPass`): one `resolveIdentity` per tenant and lane
 * over the events of the jobs taken together, in queue order (each customer's events keep their
 * order), so the reads, the follow-ups and the `event-resolved` hand-off are paid once per pass.
 */
export function resolveIdentityPass(deps: ResolveDeps): CoalescedPass<ResolveIdentityJob, ResolveIdentityJob> {
  return {
    parse: (job) => {
      const problems = jobProblems(job.data);
      return problems.length ? { malformed: `resolve-identity: malformed job ${job.id}: ${problems.join('; ')}` } : job.data;
    },
    groupKey: (data) => `${data.tenantId}\u0000${data.lane ?? 'live'}`,
    runGroup: async (jobs, id) => {
      const [head] = jobs;
      await resolveIdentity({ id, data: { tenantId: head.tenantId, events: jobs.flatMap((j) => j.events), ...(head.lane && { lane: head.lane }) } }, deps);
    },
    runAlone: async (job) => void (await resolveIdentity(job, deps)),
  };
}

export function startResolveIdentityWorker(deps: SubgraphDeps): Worker<ResolveIdentityJob> {
  const worker = startCoalescingWorker(deps, {
    queue: RESOLVE_IDENTITY,
    concurrency: RESOLVE_CONCURRENCY,
    limits: { maxJobs: RESOLVE_PASS_MAX_JOBS, maxItems: RESOLVE_PASS_MAX_EVENTS, sharedMaxItems: SHARED_PASS_MAX_ITEMS, itemsOf: eventsOf },
    pass: resolveIdentityPass(deps),
    meter: { stage: 'resolve', unitsOf: eventsOf },
  });
  worker.on('failed', (job, err) => {
    if (err instanceof UnrecoverableError) deps.log.warn({ jobId: job?.id, err: err.message }, 'resolve-identity job dropped');
  });
  return worker;
}
