import type { GraphQLSchema } from 'graphql';
import type { Redis } from 'ioredis';

import { AppError } from './errors';
import { REDIS_DOWN_RETRY_AFTER_SECONDS } from './redis';

/**
 * Mutations answered by their own admission check while Redis is down (`ingestEvents`: the ingest
 * guard refuses with the same `UNAVAILABLE`).
 */
const OWN_ADMISSION = new Set(['ingestEvents']);

/**
 * Wraps every mutation of `schema` so it is refused with `UNAVAILABLE` (and `retryAfterSeconds`)
 * while `redis`, the API requests' producer connection, is not ready: nearly every mutation ends
 * by queueing or publishing its follow-up, and refusing before the write keeps a client's retry
 * from meeting a half-done first attempt (a row stored whose follow-up could not be queued). A
 * connection lost mid-request fails its command at once instead (`createProducerRedis`).
 *
 * A Redis that is connected but hangs (stopped, swapping, a long script) still reads as ready, so
 * each mutation first PINGs it on that connection: within the connection's command timeout a hung
 * Redis fails the PING, answered `UNAVAILABLE` (serve-subgraph.ts) before anything is written.
 * One round trip per mutation; the hot path (`ingestEvents`) has its own admission check.
 */
export function refuseMutationsWhileRedisDown(schema: GraphQLSchema, redis: Redis): GraphQLSchema {
  const mutation = schema.getMutationType();
  if (!mutation) return schema;
  for (const field of Object.values(mutation.getFields())) {
    if (OWN_ADMISSION.has(field.name) || !field.resolve) continue;
    const resolve = field.resolve;
    field.resolve = async (source, args, context, info) => {
      if (redis.status !== 'ready') {
        throw new AppError('UNAVAILABLE', 'the queue (Redis) is unreachable: retry later', { retryAfterSeconds: REDIS_DOWN_RETRY_AFTER_SECONDS });
      }
      await redis.ping();
      return resolve(source, args, context, info);
    };
  }
  return schema;
}
