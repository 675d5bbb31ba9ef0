import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

import { AppError } from '../../common/errors';
import { RESOLVE_IDENTITY } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';

/** Seconds a client is told to wait when the pipeline is backed up (the queue drains, not a window). */
const QUEUE_FULL_RETRY_AFTER_SECONDS = 5;

/**
 * Admission control for ingestion, shared by the Segment HTTP API and `ingestEvents`: a per-key
 * event rate (rate-limiter-flexible on Redis, so every signals instance counts against one
 * quota) and a back-pressure check on the `resolve-identity` queue. Refusals are `RATE_LIMITED`
 * errors carrying `retryAfterSeconds`, which the HTTP API turns into 429 + `Retry-After`.
 */
export class IngestGuard {
  private readonly limiter: RateLimiterRedis;
  /** The queue-depth read in flight, shared by the requests that arrive meanwhile. */
  private waiting: Promise<number> | null = null;

  constructor(private readonly deps: Pick<SubgraphDeps, 'config' | 'redis' | 'queues'>) {
    const { rateLimitPerSecond } = deps.config.ingest;
    this.limiter = new RateLimiterRedis({
      storeClient: deps.redis,
      keyPrefix: `${deps.config.queuePrefix}-rl-ingest`,
      points: rateLimitPerSecond,
      duration: 1,
      // while Redis is unreachable each instance limits on its own rather than failing requests
      insuranceLimiter: new RateLimiterMemory({ points: rateLimitPerSecond, duration: 1 }),
    });
  }

  /** Admits `eventCount` events of one API key, or throws `RATE_LIMITED`. */
  async admit(keyId: string, eventCount: number): Promise<void> {
    const { maxQueueDepth, rateLimitPerSecond } = this.deps.config.ingest;
    const waiting = await this.waitingCount();
    if (waiting > maxQueueDepth) {
      throw new AppError('RATE_LIMITED', `ingestion is backed up (${waiting} events waiting): retry later`, {
        retryAfterSeconds: QUEUE_FULL_RETRY_AFTER_SECONDS,
      });
    }
    // a request larger than the whole budget takes all of it rather than being refused forever
    const points = Math.max(1, Math.min(eventCount, rateLimitPerSecond));
    try {
      await this.limiter.consume(keyId, points);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      throw new AppError('RATE_LIMITED', `over ${rateLimitPerSecond} events per second for this key`, {
        retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)),
      });
    }
  }

  /**
   * Waiting resolve jobs. Requests that arrive while a read is in flight share it rather than
   * each asking Redis: under load that is one read per round trip, not one per request, and a
   * lone request still reads a fresh count.
   */
  private waitingCount(): Promise<number> {
    this.waiting ??= this.deps.queues
      .get(RESOLVE_IDENTITY)
      .getWaitingCount()
      .finally(() => (this.waiting = null));
    return this.waiting;
  }
}

const guards = new WeakMap<SubgraphDeps, IngestGuard>();

/** One guard per process: the limiter registers its Lua script on the Redis connection once. */
export function ingestGuardFor(deps: SubgraphDeps): IngestGuard {
  let guard = guards.get(deps);
  if (!guard) guards.set(deps, (guard = new IngestGuard(deps)));
  return guard;
}
