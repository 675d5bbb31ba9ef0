import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import {
  EVALUATE_SEGMENTS,
  EVENT_RESOLVED,
  RECORD_ACTIVITY,
  RESOLVE_IDENTITY,
  workerOptions,
  type EventType,
  type Queues,
  type ResolveIdentityJob,
} from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { IdentityResolutionService, type ResolveOutcome } from '../services/identity-resolution.service';

type ResolveDeps = Pick<SubgraphDeps, 'orm' | 'queues' | 'log' | 'config'>;

const EVENT_TYPES: readonly EventType[] = ['track', 'identify', 'page', 'screen', 'group', 'alias'];

/**
 * Maps a stored event to its profile (see IdentityResolutionService), then tells the signals
 * stage (`event-resolved`) and the segments evaluator (`evaluate-segments`, also for every
 * profile the event merged away, so their memberships are closed). Safe to run twice: the
 * resolution is one transaction keyed on the event id, and the follow-ups have deterministic job
 * ids, so a retry after a crash between the two steps only sends what was missing.
 */
export async function resolveIdentity(job: Pick<Job<ResolveIdentityJob>, 'data' | 'id'>, deps: ResolveDeps): Promise<ResolveOutcome | null> {
  const event = job.data;
  const problems = payloadProblems(event);
  if (problems.length) throw new UnrecoverableError(`resolve-identity: malformed job ${job.id}: ${problems.join('; ')}`);
  const { tenantId, eventId } = event;
  const outcome = await new IdentityResolutionService(deps.orm.em.fork(), tenantId, {
    junkValues: deps.config.identity.junkValues,
  }).resolve(event);
  if (!outcome) {
    // nothing to attach the event to, and retrying cannot change that: tell signals it is done,
    // unattributed, so the acknowledged event is processed instead of swept forever
    await deps.queues.get(EVENT_RESOLVED).add(EVENT_RESOLVED, { tenantId, eventId, profileId: null }, { jobId: `${tenantId}-${eventId}` });
    deps.log.info({ tenantId, eventId, jobId: job.id }, 'event has no usable identity: processed unattributed');
    return null;
  }
  await sendFollowUps(deps.queues, tenantId, eventId, outcome);
  const fields = { tenantId, eventId, profileId: outcome.profileId, action: outcome.action, jobId: job.id };
  if (outcome.recorded && outcome.mergedIds.length) deps.log.info({ ...fields, mergedIds: outcome.mergedIds }, 'profiles merged');
  else deps.log.debug(fields, 'identity resolved');
  return outcome;
}

async function sendFollowUps(queues: Queues, tenantId: string, eventId: string, outcome: ResolveOutcome): Promise<void> {
  const { profileId } = outcome;
  await queues.get(EVENT_RESOLVED).add(EVENT_RESOLVED, { tenantId, eventId, profileId }, { jobId: `${tenantId}-${eventId}` });
  await queues.get(EVALUATE_SEGMENTS).addBulk(
    [profileId, ...outcome.mergedIds].map((id) => ({
      name: EVALUATE_SEGMENTS,
      data: { tenantId, profileId: id },
      opts: { jobId: `${tenantId}-${id}-${eventId}` },
    })),
  );
  if (outcome.mergedIds.length) {
    // the risk stage re-points its copy of the merged profiles' history to the survivor
    await queues.get(RECORD_ACTIVITY).addBulk(
      outcome.mergedIds.map((mergedProfileId) => ({
        name: RECORD_ACTIVITY,
        data: { kind: 'merge' as const, tenantId, profileId, mergedProfileId },
        opts: { jobId: `${tenantId}-merge-${mergedProfileId}` },
      })),
    );
  }
}

/** What is wrong with a payload, all at once; empty when it can be processed. */
function payloadProblems(data: ResolveIdentityJob | undefined): string[] {
  if (!data || typeof data !== 'object') return ['no payload'];
  const problems: string[] = [];
  const optionalString = (key: 'name' | 'userId' | 'anonymousId' | 'previousId' | 'groupId') => {
    if (data[key] !== null && data[key] !== undefined && typeof data[key] !== 'string') problems.push(`${key} must be a string or null`);
  };
  if (typeof data.tenantId !== 'string' || !data.tenantId) problems.push('tenantId is required');
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
