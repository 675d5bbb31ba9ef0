import { randomBytes } from 'node:crypto';

import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { settleTakenJobs, takeWaitingJobs } from '../../../subgraphs/common/job-coalescing';
import { queuePrefix } from '../../../subgraphs/common/queues';
import {
  meterCompletedJobs,
  meterFinishedJobs,
  meterTakenJobs,
  METER_BUCKET_TTL_SECONDS,
  readStageTimings,
  timingKey,
} from '../../../subgraphs/common/stage-meter';
import { waitFor } from '../../fixtures/wait-for';

const silent = { warn: () => undefined };

describe('meterFinishedJobs and readStageTimings (real Redis)', () => {
  const prefix = `fs-test-timing-${randomBytes(6).toString('hex')}`;
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const T0 = 1_800_000_000_000;

  afterAll(async () => {
    // only this test's keys (its own random prefix)
    const keys = await redis.keys(`${queuePrefix(prefix)}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('gives p50 and p99 of waits and runs over the last minute, per stage and per tenant', async () => {
    // acme: 98 jobs that waited 10 ms, 2 that waited 5 s; beta: 1 job that waited 60 s
    const acme = [...new Array(98).fill(10), 5_000, 5_000].map((waitMs) => ({ tenantId: 'acme', events: 10, waitMs, runMs: 100 }));
    await meterFinishedJobs(redis, prefix, 'resolve', acme.slice(0, 50), T0);
    await meterFinishedJobs(redis, prefix, 'resolve', acme.slice(50), T0 + 30_000);
    await meterFinishedJobs(redis, prefix, 'resolve', [{ tenantId: 'beta', events: 1, waitMs: 60_000, runMs: null }], T0 + 59_000);
    const [stage, ownAcme, ownBeta, detect] = await readStageTimings(
      redis,
      prefix,
      [
        { stage: 'resolve', tenantId: null },
        { stage: 'resolve', tenantId: 'acme' },
        { stage: 'resolve', tenantId: 'beta' },
        { stage: 'detect', tenantId: null },
      ],
      T0 + 59_500,
    );
    expect(stage.jobs).toBe(101);
    expect(stage.waitP50Ms).toBeLessThanOrEqual(12);
    expect(stage.waitP99Ms).toBeGreaterThan(3_400);
    expect(stage.waitP99Ms).toBeLessThanOrEqual(5_000);
    expect(ownAcme.jobs).toBe(100);
    expect(ownAcme.runP50Ms).toBeGreaterThan(90);
    expect(ownAcme.runP99Ms).toBeLessThanOrEqual(135);
    expect(ownBeta).toMatchObject({ jobs: 1, runP50Ms: null });
    // 60 s lies in the bucket (57 s, 85 s]: a percentile is exact to within its bucket
    expect(ownBeta.waitP50Ms).toBeGreaterThan(57_000);
    expect(ownBeta.waitP50Ms).toBeLessThanOrEqual(85_000);
    expect(detect).toEqual({ waitP50Ms: null, waitP99Ms: null, runP50Ms: null, runP99Ms: null, jobs: 0 });
  });

  it('leaves out seconds older than the window', async () => {
    const [stage] = await readStageTimings(redis, prefix, [{ stage: 'resolve', tenantId: null }], T0 + 61_000);
    // T0's 50 jobs have left the window; T0+30 s (50) and T0+59 s (1) are in it
    expect(stage.jobs).toBe(51);
  });

  it('gives every histogram the meter’s TTL', async () => {
    const now = Date.now();
    await meterFinishedJobs(redis, prefix, 'risk', [{ tenantId: 'ttl', events: 1, waitMs: 3, runMs: 4 }], now);
    const second = Math.floor(now / 1000);
    for (const key of [timingKey(prefix, 'wait', 'risk', null, second), timingKey(prefix, 'run', 'risk', 'ttl', second)]) {
      const ttl = await redis.ttl(key);
      expect(ttl).toBeGreaterThan(METER_BUCKET_TTL_SECONDS - 5);
      expect(ttl).toBeLessThanOrEqual(METER_BUCKET_TTL_SECONDS);
    }
  });
});

describe('stage workers meter waits of every job they take (real Redis, real BullMQ)', () => {
  const prefix = `fs-test-timing-${randomBytes(6).toString('hex')}`;
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const deps = { redis, config: { queuePrefix: prefix }, log: silent };
  const queue = new Queue<{ tenantId: string }>('timing-stage', { connection: redis, prefix: queuePrefix(prefix) });
  let worker: Worker<{ tenantId: string }> | undefined;

  afterAll(async () => {
    await worker?.close();
    await queue.close();
    const keys = await redis.keys(`${queuePrefix(prefix)}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  it('counts the job a worker is given and the jobs it takes with it, each with its own wait', async () => {
    // created 5 s ago: each job's wait is at least 5 s, whether given or taken
    const createdAt = Date.now() - 5_000;
    await queue.addBulk([
      { name: 'j', data: { tenantId: 'acme' }, opts: { timestamp: createdAt } },
      { name: 'j', data: { tenantId: 'acme' }, opts: { timestamp: createdAt } },
      { name: 'j', data: { tenantId: 'acme' }, opts: { timestamp: createdAt } },
      { name: 'j', data: { tenantId: 'beta' }, opts: { timestamp: createdAt } },
    ]);
    const w: Worker<{ tenantId: string }> = new Worker<{ tenantId: string }>(
      'timing-stage',
      async (job, token) => {
        const extra = token ? await takeWaitingJobs(w, token, job, { maxJobs: 10, maxItems: 100, itemsOf: () => 1 }) : [];
        await settleTakenJobs(extra, token ?? '');
        await meterTakenJobs(deps, 'detect', extra, () => 10);
      },
      { connection: redis, prefix: queuePrefix(prefix), concurrency: 1 },
    );
    worker = w;
    meterCompletedJobs(w, deps, 'detect', () => 10);
    const read = () =>
      readStageTimings(redis, prefix, [
        { stage: 'detect', tenantId: null },
        { stage: 'detect', tenantId: 'acme' },
        { stage: 'detect', tenantId: 'beta' },
      ]);
    await waitFor(async () => (await read())[0].jobs === 4);
    const [stage, acme, beta] = await read();
    // no job can have waited longer than the time since it was created (how long the worker took to
    // start depends on the machine's load); a reading is exact to within its histogram bucket, whose
    // upper bound is at most 1.6x its lower bound
    const longestPossibleWaitMs = (Date.now() - createdAt) * 1.6;
    expect(acme.jobs).toBe(3);
    expect(beta.jobs).toBe(1);
    for (const reading of [stage, acme, beta]) {
      expect(reading.waitP50Ms).toBeGreaterThan(3_400);
      expect(reading.waitP99Ms).toBeLessThanOrEqual(longestPossibleWaitMs);
      expect(reading.runP50Ms).not.toBeNull();
    }
  });
});
