import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

import type { Logger } from '../subgraphs/common/logger';

/**
 * Requests per client address to one of the gateway's routes that take no API key: the email
 * tracking routes (`/t/o/…`, `/t/c/…`) and the providers' delivery-status callbacks
 * (`/v1/channels/:id/delivery-status`). On rate-limiter-flexible in Redis, so every gateway
 * instance counts against one budget. Without a key, this is what stops one address from flooding
 * the stages with token or signature checks and look-ups. The address is the TCP peer's, or behind
 * a trusted proxy the one it forwards (client-address.ts), as for the other limiters.
 */
export interface AddressThrottle {
  /** Counts one request; seconds until the address may make another when it is over its budget, else null. */
  take(address: string): Promise<number | null>;
}

export interface AddressThrottleOptions {
  /** The route family counted (`tracking`, `callback`): each has a budget of its own. */
  route: string;
  /** Requests allowed per address per window. */
  requests: number;
  /** Window length in seconds. Default 60. */
  windowSeconds?: number;
  /** Redis key prefix (the queue prefix, so environments sharing a Redis stay apart). */
  prefix: string;
}

export function createAddressThrottle(redis: Redis, opts: AddressThrottleOptions, log: Logger): AddressThrottle {
  const limiter = new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `${opts.prefix}-rl-${opts.route}`,
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
        // Redis unreachable: readers' clicks still redirect and reports still reach actions (which
        // answers 503 itself when it cannot queue); only the throttle is off
        log.warn({ err, route: opts.route }, 'address throttle unavailable');
        return null;
      }
    },
  };
}
