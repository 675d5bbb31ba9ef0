import { Redis } from 'ioredis';

import type { Shutdown } from './shutdown';

/**
 * An ioredis connection. `maxRetriesPerRequest: null` is what BullMQ workers require; the same
 * options serve pub/sub, so every process makes its connections here. API request paths use
 * `createProducerRedis` instead, which fails fast while Redis is down.
 */
export function createRedis(url: string, shutdown?: Shutdown, name = 'foresight'): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: null, connectionName: name, lazyConnect: false });
  // ioredis reconnects by itself; an unhandled 'error' event would crash the process
  redis.on('error', () => undefined);
  shutdown?.defer(() => redis.quit().catch(() => redis.disconnect()));
  return redis;
}

/** Seconds a client is told to wait while Redis is unreachable (ioredis retries its connection meanwhile). */
export const REDIS_DOWN_RETRY_AFTER_SECONDS = 5;

/** Default of `REDIS_COMMAND_TIMEOUT_MS` (see config.ts), in ms. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 15_000;

/**
 * The connection of API request paths (queue producers, admission checks), which must answer
 * while Redis is down instead of waiting for it: a command fails at once while the connection is
 * down (no offline queue) and is retried once across a reconnect. A command to a Redis that is
 * connected but hangs fails after `commandTimeoutMs` ("Command timed out", answered
 * `UNAVAILABLE`). That deadline is generous on purpose: a busy process reads Redis's answers late
 * (its event loop runs SQL between them), and on a loaded CI runner 1 s and 5 s timeouts failed
 * requests to a Redis that was fine. Workers and pub/sub keep `createRedis` (BullMQ workers need
 * `maxRetriesPerRequest: null` and block on purpose); what a request could not enqueue is
 * recovered by the sweepers from SQL.
 */
export function createProducerRedis(url: string, commandTimeoutMs: number, shutdown?: Shutdown, name = 'foresight-producer'): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: commandTimeoutMs,
    connectionName: name,
    lazyConnect: false,
  });
  redis.on('error', () => undefined);
  // QUIT to a hung Redis times out too, and then the socket is dropped
  shutdown?.defer(() => redis.quit().catch(() => redis.disconnect()));
  return redis;
}

/** Resolves once `redis` is ready (commands without an offline queue fail until then). */
export function redisReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => redis.once('ready', () => resolve()));
}

/**
 * Whether `err` says Redis could not be reached (rather than a bug): a producer connection's
 * refusals while down, its command timeout, its retry limit, or a closed connection.
 */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err.name === 'MaxRetriesPerRequestError' ||
    /^(Stream isn't writeable|Command timed out|Connection is closed|Reached the max retries per request)/.test(err.message)
  );
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
