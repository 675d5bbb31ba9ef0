import type { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';

import type { Logger } from '../subgraphs/common/logger';

/**
 * Failed authentications per client address (rate-limiter-flexible on Redis, so every gateway
 * instance counts against one budget). Past the budget the address gets 429 with `Retry-After`
 * until the window ends, valid key or not: guessing keys costs a window per handful of tries.
 * The address is the TCP peer's, or behind a trusted proxy the one it forwards (client-address.ts).
 */
export interface AuthThrottle {
  /** Seconds until this address may try again, or null when it may try now. */
  blockedFor(address: string): Promise<number | null>;
  /** Counts one failed authentication (missing, malformed, unknown or revoked key). */
  failed(address: string): Promise<void>;
}

export interface AuthThrottleOptions {
  /** Failed authentications allowed per address per window (`AUTH_FAILURES_PER_MINUTE`). */
  failures: number;
  /** Window length in seconds. Default 60. */
  windowSeconds?: number;
  /** Redis key prefix (the queue prefix, so environments sharing a Redis stay apart). */
  prefix: string;
}

export function createAuthThrottle(redis: Redis, opts: AuthThrottleOptions, log: Logger): AuthThrottle {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${opts.prefix}-rl-auth-failed`,
    points: opts.failures,
    duration: opts.windowSeconds ?? 60,
    // the connection queues commands while Redis is down (it serves the workers too): refuse at
    // once instead, so a Redis outage never holds a request up at the throttle
    rejectIfRedisNotReady: true,
  });
  return {
    async blockedFor(address) {
      try {
        const state = await limiter.get(address);
        if (!state || state.consumedPoints < opts.failures) return null;
        return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
      } catch (err) {
        // Redis unreachable: authentication itself still works; only the throttle is off
        log.warn({ err }, 'auth throttle unavailable');
        return null;
      }
    },
    async failed(address) {
      try {
        await limiter.penalty(address, 1);
      } catch (err) {
        log.warn({ err }, 'auth throttle unavailable');
      }
    },
  };
}

/** The message and headers of a refusal for an address over its budget. */
export function throttledAnswer(retryAfterSeconds: number): { message: string; headers: Record<string, string> } {
  return {
    message: `too many failed authentications from this address: retry in ${retryAfterSeconds} s`,
    headers: { 'retry-after': String(retryAfterSeconds) },
  };
}
