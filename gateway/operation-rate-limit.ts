import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

import type { TenantContext } from '../subgraphs/common/auth-context';
import type { Config } from '../subgraphs/common/config';

/** Why an operation was refused, and when the caller may try again. */
export interface RateLimited {
  /** Which quota ran out. */
  limit: 'key' | 'tenant';
  /** Whole seconds until a point is free again (the `Retry-After` value), at least 1. */
  retryAfterSeconds: number;
  message: string;
}

/**
 * GraphQL operations per second, per API key and per tenant (over all its keys), counted in Redis
 * (rate-limiter-flexible) so every gateway instance shares one quota. While Redis is unreachable
 * each instance counts on its own (in memory) instead of waiting for it.
 */
export class OperationRateLimit {
  private readonly perKey: RateLimiterRedis;
  private readonly perTenant: RateLimiterRedis;

  constructor(
    redis: Redis,
    private readonly limits: Pick<Config['limits'], 'graphqlRatePerSecond' | 'graphqlTenantRatePerSecond'>,
    queuePrefix: string,
  ) {
    const limiter = (keyPrefix: string, points: number) =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${queuePrefix}-${keyPrefix}`,
        points,
        duration: 1,
        // fail over to memory at once rather than queue the request behind a reconnecting client
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points, duration: 1 }),
      });
    this.perKey = limiter('rl-graphql-key', limits.graphqlRatePerSecond);
    this.perTenant = limiter('rl-graphql-tenant', limits.graphqlTenantRatePerSecond);
  }

  /** Takes one operation from the caller's key and tenant quotas; null when admitted. */
  async admit(principal: TenantContext): Promise<RateLimited | null> {
    const refused = async (limiter: RateLimiterRedis, id: string): Promise<number | null> => {
      try {
        await limiter.consume(id, 1);
        return null;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        return Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
      }
    };
    const key = await refused(this.perKey, principal.keyId);
    if (key !== null) {
      return { limit: 'key', retryAfterSeconds: key, message: `over ${this.limits.graphqlRatePerSecond} operations per second for this API key: retry after ${key} s` };
    }
    const tenant = await refused(this.perTenant, principal.tenantId);
    if (tenant !== null) {
      return {
        limit: 'tenant',
        retryAfterSeconds: tenant,
        message: `over ${this.limits.graphqlTenantRatePerSecond} operations per second for tenant ${principal.tenantId}: retry after ${tenant} s`,
      };
    }
    return null;
  }
}
