import { Redis } from 'ioredis';

import type { Shutdown } from './shutdown';

/**
 * An ioredis connection. `maxRetriesPerRequest: null` is what BullMQ workers require; the same
 * options serve pub/sub, so every process makes its connections here.
 */
export function createRedis(url: string, shutdown?: Shutdown, name = 'foresight'): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: name, lazyConnect: false });
  // ioredis reconnects by itself; an unhandled 'error' event would crash the process
  redis.on('error', () => undefined);
  shutdown?.defer(() => redis.quit().catch(() => redis.disconnect()));
  return redis;
}

/** Fails fast with one actionable line when Redis cannot be reached. */
export async function assertRedisReachable(url: string, timeoutMs = 3000): Promise<void> {
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(
      `Redis is not reachable at ${url} (${(err as Error).message}). Start it (e.g. \`redis-server --daemonize yes\`) or set REDIS_URL.`,
      { cause: err },
    );
  } finally {
    redis.disconnect();
  }
}
