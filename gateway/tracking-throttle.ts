import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

import type { Logger } from '../subgraphs/common/logger';

/**
 * Requests per client address to the email tracking routes (`/t/o/…`, `/t/c/…`), on
 * rate-limiter-flexible in Redis so every gateway instance counts against one budget. The routes
 * take no API key, so this is what stops one address from flooding the event stream with token
 * checks and profile look-ups. The address is the TCP peer's, or behind a trusted proxy the one it
 * forwards (client-address.ts), as for the other limiters.
 */
export interface TrackingThrottle {
  /** Counts one request; seconds until the address may make another when it is over its budget, else null. */
  take(address: string): Promise<number | null>;
}

export interface TrackingThrottleOptions {
  /** Requests allowed per address per window (`TRACKING_REQUESTS_PER_MINUTE`). */
  requests: number;
  /** Window length in seconds. Default 60. */
  windowSeconds?: number;
  /** Redis key prefix (the queue prefix, so environments sharing a Redis stay apart). */
  prefix: string;
}

export function createTrackingThrottle(redis: Redis, opts: TrackingThrottleOptions, log: Logger): TrackingThrottle {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${opts.prefix}-rl-tracking`,
    points: opts.requests,
    duration: opts.windowSeconds ?? 60,
    // refuse at once while Redis is down instead of queueing the command: see below
    rejectIfRedisNotReady: true,
  });
  return {
    async take(address) {
      try {
        await limiter.consume(address, 1);
        return null;
      } catch (err) {
        if (err instanceof RateLimiterRes) return Math.max(1, Math.ceil(err.msBeforeNext / 1000));
        // Redis unreachable: readers' clicks still redirect; only the throttle is off
        log.warn({ err }, 'tracking throttle unavailable');
        return null;
      }
    },
  };
}
