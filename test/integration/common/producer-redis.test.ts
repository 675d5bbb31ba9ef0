import { randomBytes } from 'node:crypto';

import { AppError } from '../../../subgraphs/common/errors';
import { formatError } from '../../../subgraphs/common/serve-subgraph';
import { createLogger } from '../../../subgraphs/common/logger';
import { EVALUATE_SEGMENTS, Queues } from '../../../subgraphs/common/queues';
import { createProducerRedis, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, isRedisUnavailable, redisReady } from '../../../subgraphs/common/redis';
import { Shutdown } from '../../../subgraphs/common/shutdown';
import { freePort } from '../../fixtures/stack';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('createProducerRedis', () => {
  const shutdown = new Shutdown();
  afterAll(() => shutdown.run());

  it('queues jobs while Redis is up', async () => {
    const redis = createProducerRedis(REDIS_URL, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, shutdown);
    await redisReady(redis);
    const queues = new Queues(redis, `fs-test-${randomBytes(6).toString('hex')}`, true);
    shutdown.defer(() => queues.close());
    const job = await queues.get(EVALUATE_SEGMENTS).add(EVALUATE_SEGMENTS, { tenantId: 't', profileIds: ['p'] } as never, { jobId: 'producer-up' });
    expect(job.id).toBe('producer-up');
    expect((await queues.get(EVALUATE_SEGMENTS).getJob('producer-up'))?.id).toBe('producer-up');
  });

  it('fails a command at once while Redis is unreachable, with an error the API answers UNAVAILABLE', async () => {
    // nothing listens on this port: the connection never becomes ready and keeps retrying
    const redis = createProducerRedis(`redis://127.0.0.1:${await freePort()}`, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, shutdown);
    const error = await redis.get('anything').then(
      () => null,
      (err: unknown) => err,
    );
    expect(isRedisUnavailable(error)).toBe(true);
    const formatted = formatError({ message: (error as Error).message }, error, createLogger('test', 'silent'));
    expect(formatted.extensions).toEqual({ code: 'UNAVAILABLE', retryAfterSeconds: 5 });
  });

  it('has fail-fast queues refuse to hand out a queue while the connection is not ready', async () => {
    const redis = createProducerRedis(`redis://127.0.0.1:${await freePort()}`, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, shutdown);
    const queues = new Queues(redis, 'fs-test-down', true);
    expect(() => queues.get(EVALUATE_SEGMENTS)).toThrow(AppError);
    expect(() => queues.get(EVALUATE_SEGMENTS)).toThrow(/Redis\) is unreachable/);
  });
});

describe('isRedisUnavailable', () => {
  it.each<[string, unknown, boolean]>([
    ['a refused command (no offline queue)', new Error("Stream isn't writeable and enableOfflineQueue options is false"), true],
    ['a command timeout', new Error('Command timed out'), true],
    ['a closed connection', new Error('Connection is closed.'), true],
    ['an ordinary bug', new TypeError('Cannot read properties of undefined'), false],
    ['a Redis reply error', new Error('WRONGTYPE Operation against a key holding the wrong kind of value'), false],
    ['not an error', "Stream isn't writeable", false],
  ])('%s', (_case, err, expected) => {
    expect(isRedisUnavailable(err)).toBe(expected);
  });
});
