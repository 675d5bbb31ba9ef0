import type { Redis } from 'ioredis';

import { queuePrefix } from '../../common/queues';

/** Takes the lock when it is free or already this owner's (a replay of the same job), for `ttl` ms. */
const ACQUIRE_SCRIPT = `
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`;
/** Extends the lock only while this owner holds it. */
const RENEW_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;
/** Frees the lock only if this owner holds it (it may have expired and been taken by another). */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

interface LockRedis extends Redis {
  trainingLockAcquire(key: string, owner: string, ttlMs: number): Promise<number>;
  trainingLockRenew(key: string, owner: string, ttlMs: number): Promise<number>;
  trainingLockRelease(key: string, owner: string): Promise<number>;
}

function withScripts(redis: Redis): LockRedis {
  const r = redis as LockRedis;
  if (typeof r.trainingLockAcquire !== 'function') {
    redis.defineCommand('trainingLockAcquire', { numberOfKeys: 1, lua: ACQUIRE_SCRIPT });
    redis.defineCommand('trainingLockRenew', { numberOfKeys: 1, lua: RENEW_SCRIPT });
    redis.defineCommand('trainingLockRelease', { numberOfKeys: 1, lua: RELEASE_SCRIPT });
  }
  return r;
}

/** A held lock: renewed in the background until released. */
export interface HeldTrainingLock {
  release(): Promise<void>;
}

/**
 * One training at a time per tenant, across every risk process and worker: a Redis key
 * (`<prefix>:training-lock:<tenantId>`) holding the owning job's id. It expires `ttlMs` after its
 * last renewal (every third of it while held), so the lock of a process that died frees itself
 * about as soon as BullMQ recovers that process's stalled job (`QUEUE_LOCK_DURATION_MS`).
 */
export class TenantTrainingLock {
  private readonly redis: LockRedis;
  private readonly prefix: string;

  constructor(
    redis: Redis,
    prefix: string,
    private readonly ttlMs: number,
  ) {
    this.redis = withScripts(redis);
    this.prefix = queuePrefix(prefix);
  }

  /** The lock for `owner` (a job id), or null while another job of the tenant holds it. */
  async acquire(tenantId: string, owner: string): Promise<HeldTrainingLock | null> {
    const key = this.key(tenantId);
    if ((await this.redis.trainingLockAcquire(key, owner, this.ttlMs)) !== 1) return null;
    const timer = setInterval(() => {
      // a failed renewal is retried at the next tick; the lock only lapses after a whole ttl
      this.redis.trainingLockRenew(key, owner, this.ttlMs).catch(() => undefined);
    }, Math.max(1, Math.floor(this.ttlMs / 3)));
    timer.unref();
    return {
      release: async () => {
        clearInterval(timer);
        await this.redis.trainingLockRelease(key, owner);
      },
    };
  }

  /** The id of the job holding the tenant's lock, or null. */
  holder(tenantId: string): Promise<string | null> {
    return this.redis.get(this.key(tenantId));
  }

  private key(tenantId: string): string {
    return `${this.prefix}:training-lock:${tenantId}`;
  }
}
