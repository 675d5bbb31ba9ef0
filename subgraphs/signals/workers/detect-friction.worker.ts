import { UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { DETECT_FRICTION, RECORD_ACTIVITY, SIGNAL_ALERTS, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import type { FrictionFinding } from '../domain/friction/finding';
import { processResolvedBatch, type ResolvedBatchDeps } from '../services/resolved-batch.service';
import type { SignalFollowUps } from '../services/signal.service';

export type DetectFrictionJob = JobPayloads[typeof DETECT_FRICTION];

/** How signals found outside the event-resolved batch (the time-based sweep) are announced. */
export function signalFollowUps(deps: Pick<SubgraphDeps, 'pubSub' | 'queues' | 'log'>): SignalFollowUps {
  return { pubSub: deps.pubSub, activityQueue: deps.queues.get(RECORD_ACTIVITY), alertsQueue: deps.queues.get(SIGNAL_ALERTS), log: deps.log };
}

/**
 * A `detect-friction` job queued before the event-resolved batch detected friction itself:
 * runs the batch stage for its one event (its stored profile is kept). Safe to run twice.
 * Returns the findings.
 */
export async function detectFriction(job: Pick<Job<DetectFrictionJob>, 'data' | 'id'>, deps: ResolvedBatchDeps): Promise<FrictionFinding[]> {
  const { tenantId, eventId } = job.data ?? ({} as DetectFrictionJob);
  if (typeof tenantId !== 'string' || !tenantId || typeof eventId !== 'string' || !isUuid(eventId)) {
    throw new UnrecoverableError(`detect-friction: malformed job ${job.id}`);
  }
  const outcome = await processResolvedBatch({ tenantId, events: [{ eventId, profileId: null }] }, deps);
  if (!outcome) throw new UnrecoverableError(`detect-friction: no event ${eventId} in tenant ${tenantId} (job ${job.id})`);
  return outcome.findings;
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
