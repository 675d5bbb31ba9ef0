import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { eventAmount } from '../../common/ecommerce';
import { isUuid } from '../../common/ids';
import { DETECT_FRICTION, RECORD_ACTIVITY, SCORE_PROFILE, workerOptions, type JobPayloads } from '../../common/queues';
import type { EntityManager } from '../../common/orm';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { Event } from '../entities/event.entity';
import type { FrictionFinding } from '../domain/friction/finding';
import { FrictionService } from '../services/friction.service';
import { SignalService, type SignalFollowUps } from '../services/signal.service';

export type DetectFrictionJob = JobPayloads[typeof DETECT_FRICTION];

/** How new signals are announced from this process's deps. */
export function signalFollowUps(deps: Pick<SubgraphDeps, 'pubSub' | 'queues' | 'config' | 'log'>): SignalFollowUps {
  return {
    pubSub: deps.pubSub,
    scoreQueue: deps.queues.get(SCORE_PROFILE),
    activityQueue: deps.queues.get(RECORD_ACTIVITY),
    scoreDebounceMs: deps.config.friction.scoreDebounceMs,
    log: deps.log,
  };
}

/**
 * Runs the friction detectors for one resolved event and records what they find (each signal
 * once per dedupe key, then announced once). Safe to run twice. Returns the findings.
 */
export async function detectFriction(
  job: Pick<Job<DetectFrictionJob>, 'data' | 'id'>,
  deps: Pick<SubgraphDeps, 'orm' | 'pubSub' | 'queues' | 'config' | 'log'>,
): Promise<FrictionFinding[]> {
  const { tenantId, eventId } = job.data ?? ({} as DetectFrictionJob);
  if (typeof tenantId !== 'string' || !tenantId || typeof eventId !== 'string' || !isUuid(eventId)) {
    throw new UnrecoverableError(`detect-friction: malformed job ${job.id}`);
  }
  const em = deps.orm.em.fork(); // one identity map per job
  // journeys the event moves queue their snapshots for the risk stage once committed
  const findings = await new FrictionService(em, tenantId, deps.queues.get(RECORD_ACTIVITY)).detectForEvent(eventId);
  if (!findings) throw new UnrecoverableError(`detect-friction: no resolved event ${eventId} in tenant ${tenantId} (job ${job.id})`);
  const signals = new SignalService(em, tenantId, signalFollowUps(deps));
  for (const finding of findings) await signals.record(finding);
  await recordActivity(em, tenantId, eventId, deps);
  return findings;
}

/**
 * Hands the risk stage its copy of the event (what churn features and lifetime models are built
 * from). Job id `<tenantId>-event-<eventId>`: a replay queues nothing new.
 */
async function recordActivity(em: EntityManager, tenantId: string, eventId: string, deps: Pick<SubgraphDeps, 'queues'>): Promise<void> {
  const event = await em.findOne(Event, { tenantId, id: eventId });
  if (!event?.profileId) return;
  await deps.queues.get(RECORD_ACTIVITY).add(
    RECORD_ACTIVITY,
    {
      kind: 'event',
      tenantId,
      profileId: event.profileId,
      eventId: event.id,
      type: event.type,
      name: event.name,
      timestamp: event.timestamp.toISOString(),
      revenue: eventAmount(event.properties),
      traits: event.type === 'identify' || event.type === 'group' ? traitsOf(event) : {},
    },
    { jobId: `${tenantId}-event-${event.id}` },
  );
}

/** `context.traits` overlaid by the event's own traits (the explicit ones win), as profiles applies them. */
function traitsOf(event: Event): Record<string, unknown> {
  const context = event.context.traits;
  return { ...(context && typeof context === 'object' && !Array.isArray(context) ? context : {}), ...event.traits };
}

export function startDetectFrictionWorker(deps: SubgraphDeps): Worker<DetectFrictionJob> {
  const worker = new Worker<DetectFrictionJob>(
    DETECT_FRICTION,
    async (job) => void (await detectFriction(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'detect-friction worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
