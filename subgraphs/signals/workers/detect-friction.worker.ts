import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { DETECT_FRICTION, SCORE_PROFILE, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import type { FrictionFinding } from '../domain/friction/finding';
import { FrictionService } from '../services/friction.service';
import { SignalService, type SignalFollowUps } from '../services/signal.service';

export type DetectFrictionJob = JobPayloads[typeof DETECT_FRICTION];

/** How new signals are announced from this process's deps. */
export function signalFollowUps(deps: Pick<SubgraphDeps, 'pubSub' | 'queues' | 'config' | 'log'>): SignalFollowUps {
  return { pubSub: deps.pubSub, scoreQueue: deps.queues.get(SCORE_PROFILE), scoreDebounceMs: deps.config.friction.scoreDebounceMs, log: deps.log };
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
  const findings = await new FrictionService(em, tenantId).detectForEvent(eventId);
  if (!findings) throw new UnrecoverableError(`detect-friction: no resolved event ${eventId} in tenant ${tenantId} (job ${job.id})`);
  const signals = new SignalService(em, tenantId, signalFollowUps(deps));
  for (const finding of findings) await signals.record(finding);
  return findings;
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
