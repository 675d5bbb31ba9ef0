import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import {
  EVALUATE_SEGMENTS,
  EVENT_RESOLVED,
  RECORD_ACTIVITY,
  RESOLVE_IDENTITY,
  workerOptions,
  type EventToResolve,
  type EventType,
  type Queues,
  type ResolveIdentityJob,
} from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { jobFollowUps, type JobFollowUps } from '../domain/follow-ups';
import { independentGroups } from '../domain/independent-groups';
import { IdentityResolutionService, type ResolveOutcome } from '../services/identity-resolution.service';

type ResolveDeps = Pick<SubgraphDeps, 'orm' | 'queues' | 'log' | 'config'>;

const EVENT_TYPES: readonly EventType[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

/** Groups of a job's events resolved at once (see `independentGroups`). */
const GROUP_CONCURRENCY = 4;

/**
 * Resolves the events of one `resolve-identity` job: events that share an identifier (directly or
 * through a chain) one after the other in the order received (an `identify` before the `track`
 * that follows it), other customers' events side by side (see `independentGroups`). The resolved
 * events go to the signals stage as one `event-resolved` batch; `evaluate-segments` (once per profile) and merge
 * notices follow the last event (see `jobFollowUps`). The whole payload is checked first: a
 * malformed one (a bug in the sender) fails the job for good, naming every problem. An event that
 * fails does not hold back the others: they are resolved, then the job fails and BullMQ retries
 * it, and the retry replays the events already done (which changes nothing; their follow-ups have
 * deterministic job ids).
 */
export async function resolveIdentity(job: Pick<Job<ResolveIdentityJob>, 'data' | 'id'>, deps: ResolveDeps): Promise<(ResolveOutcome | null)[]> {
  const problems = jobProblems(job.data);
  if (problems.length) throw new UnrecoverableError(`resolve-identity: malformed job ${job.id}: ${problems.join('; ')}`);
  const { tenantId, events } = job.data;
  // undefined until the event is resolved (null: resolved, but it had no usable identity)
  const outcomes: (ResolveOutcome | null | undefined)[] = events.map(() => undefined);
  const failures: { eventId: string; err: unknown }[] = [];
  const resolveInOrder = async (group: number[]) => {
    for (const i of group) {
      const { eventId } = events[i];
      try {
        outcomes[i] = await resolveEvent(events[i], deps, job.id);
      } catch (err) {
        failures.push({ eventId, err });
        deps.log.warn({ err, tenantId, eventId, jobId: job.id }, 'resolve-identity: event failed; the job will be retried');
      }
    }
  };
  await inParallel(independentGroups(events, deps.config.identity.junkValues), GROUP_CONCURRENCY, resolveInOrder);
  const resolved = events.flatMap(({ eventId }, i) => {
    const landing = outcomes[i];
    return landing === undefined ? [] : [{ eventId, landing }];
  });
  // one event-resolved batch for the job's resolved events, in the order received; no profile
  // when an event had no usable identity: signals then processes it unattributed
  const refs = events.flatMap(({ eventId }, i) => (outcomes[i] === undefined ? [] : [{ eventId, profileId: outcomes[i]?.profileId ?? null }]));
  if (refs.length) {
    // a partial batch (some events failed) must not take the id of the whole one the retry sends
    const kind = refs.length < events.length ? `partial${refs.length}-` : '';
    await deps.queues.get(EVENT_RESOLVED).add(EVENT_RESOLVED, { tenantId, events: refs }, { jobId: `${tenantId}-${kind}${refs[0].eventId}-${refs[refs.length - 1].eventId}` });
  }
  await sendJobFollowUps(deps.queues, tenantId, jobFollowUps(resolved));
  if (failures.length) {
    const first = failures[0].err instanceof Error ? failures[0].err.message : String(failures[0].err);
    throw new Error(`resolve-identity: ${failures.length} of ${events.length} events failed (first, ${failures[0].eventId}: ${first})`);
  }
  // every event was resolved: none is undefined any more
  return outcomes as (ResolveOutcome | null)[];
}

/** Runs `run` over the items, at most `limit` at a time. */
async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await run(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/**
 * Maps a stored event to its profile (see IdentityResolutionService): one transaction keyed on
 * the event id, so running it twice changes nothing. Null when the event has no usable identity.
 */
export async function resolveEvent(event: EventToResolve, deps: ResolveDeps, jobId?: string): Promise<ResolveOutcome | null> {
  const { tenantId, eventId } = event;
  const outcome = await new IdentityResolutionService(deps.orm.em.fork(), tenantId, {
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

async function sendJobFollowUps(queues: Queues, tenantId: string, { evaluate, merges }: JobFollowUps): Promise<void> {
  await queues.get(EVALUATE_SEGMENTS).addBulk(
    [...evaluate].map(([profileId, eventId]) => ({
      name: EVALUATE_SEGMENTS,
      data: { tenantId, profileId },
      opts: { jobId: `${tenantId}-${profileId}-${eventId}` },
    })),
  );
  if (merges.length) {
    await queues.get(RECORD_ACTIVITY).addBulk(
      merges.map(({ profileId, mergedProfileId }) => ({
        name: RECORD_ACTIVITY,
        data: { kind: 'merge' as const, tenantId, profileId, mergedProfileId },
        opts: { jobId: `${tenantId}-merge-${mergedProfileId}` },
      })),
    );
  }
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

export function startResolveIdentityWorker(deps: SubgraphDeps): Worker<ResolveIdentityJob> {
  const worker = new Worker<ResolveIdentityJob>(
    RESOLVE_IDENTITY,
    async (job) => void (await resolveIdentity(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'resolve-identity worker error'));
  worker.on('failed', (job, err) => {
    if (err instanceof UnrecoverableError) deps.log.warn({ jobId: job?.id, err: err.message }, 'resolve-identity job dropped');
  });
  deps.shutdown.defer(() => worker.close());
  return worker;
}
