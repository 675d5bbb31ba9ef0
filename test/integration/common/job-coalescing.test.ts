import { randomBytes } from 'node:crypto';

import { Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { runCoalescedPass, startCoalescingWorker, takeWaitingJobs, type CoalescedPass } from '../../../subgraphs/common/job-coalescing';
import { queuePrefix, type QueueName } from '../../../subgraphs/common/queues';
import type { SubgraphDeps } from '../../../subgraphs/common/run-subgraph';
import { waitFor } from '../../fixtures/wait-for';

interface StageJob {
  tenantId: string;
  items: number;
  /** a group holding a job with `fail` throws */
  fail?: boolean;
}

/**
 * A coalesced pass over a real BullMQ queue: the jobs are queued before the worker starts, so its
 * first job takes every other one with it into one pass.
 */
describe('runCoalescedPass (real Redis, real BullMQ)', () => {
  const prefix = `fs-test-coalesce-${randomBytes(6).toString('hex')}`;
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const workers: Worker<StageJob>[] = [];
  const queues: Queue<StageJob>[] = [];

  afterAll(async () => {
    for (const w of workers) await w.close();
    for (const q of queues) await q.close();
    const keys = await redis.keys(`${queuePrefix(prefix)}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  /** Runs one pass over `jobs` (the first is the one the worker is given); returns what happened. */
  async function onePass(name: string, jobs: StageJob[], during?: (added: Job<StageJob>[]) => Promise<void>, leftActive = 0) {
    const queue = new Queue<StageJob>(name, { connection: redis, prefix: queuePrefix(prefix) });
    queues.push(queue);
    const added = await queue.addBulk(jobs.map((data) => ({ name: 'j', data, opts: { attempts: 1 } })));
    const ran: string[] = [];
    // for each group as it starts: which taken jobs of the pass were already finished
    const finishedWhenStarted = new Map<string, string[]>();
    const pass: CoalescedPass<StageJob, StageJob> = {
      parse: (job) => job.data,
      groupKey: (batch) => batch.tenantId,
      runGroup: async (batches) => {
        const tenant = batches[0].tenantId;
        const states = await Promise.all(added.map(async (j) => [j.id!, await Job.fromId(queue, j.id!)] as const));
        finishedWhenStarted.set(tenant, states.filter(([, j]) => j?.finishedOn).map(([id]) => id));
        ran.push(tenant);
        await during?.(added);
        if (batches.some((b) => b.fail)) throw new Error(`${tenant} failed`);
      },
      runAlone: async () => undefined,
    };
    let passDone = false;
    const w: Worker<StageJob> = new Worker<StageJob>(
      name,
      async (job, token) => {
        const extra = token ? await takeWaitingJobs(w, token, job, { maxJobs: 50, maxItems: 10_000, itemsOf: (d) => d.items }) : [];
        try {
          await runCoalescedPass(job, extra, token ?? '', pass, (d) => d.items);
        } finally {
          passDone = true;
        }
      },
      { connection: redis, prefix: queuePrefix(prefix), concurrency: 1 },
    );
    workers.push(w);
    await waitFor(async () => passDone && (await queue.getJobCounts('active')).active === leftActive);
    await w.close();
    const settled = await Promise.all(added.map((j) => Job.fromId(queue, j.id!)));
    return { added, ran, finishedWhenStarted, settled };
  }

  it('runs the smallest group first and settles each group’s jobs as soon as it has run', async () => {
    // the flooding tenant's jobs come first in the queue and hold 20 items each; the other
    // tenant's job comes last and holds 2
    const flood = Array.from({ length: 5 }, () => ({ tenantId: 'flood', items: 20 }));
    const { added, ran, finishedWhenStarted, settled } = await onePass('smallest-first', [...flood, { tenantId: 'small', items: 2 }]);
    expect(ran).toEqual(['small', 'flood']);
    const smallJob = added[5].id!;
    // the small tenant's job was done before the flood's group started
    expect(finishedWhenStarted.get('flood')).toEqual([smallJob]);
    expect(settled.map((j) => Boolean(j?.finishedOn && !j.failedReason))).toEqual([true, true, true, true, true, true]);
  });

  it('fails only the jobs of a failed group; the others still run and complete', async () => {
    // first job: tenant ok; then a failing tenant, then ok again (same group as the first)
    const { ran, settled } = await onePass('isolated-failure', [
      { tenantId: 'ok', items: 5 },
      { tenantId: 'broken', items: 1, fail: true },
      { tenantId: 'ok', items: 5 },
      { tenantId: 'other', items: 3 },
    ]);
    expect(ran).toEqual(['broken', 'other', 'ok']);
    expect(settled.map((j) => ({ failed: j?.failedReason ?? null, done: Boolean(j?.finishedOn) }))).toEqual([
      { failed: null, done: true },
      { failed: 'broken failed', done: true },
      { failed: null, done: true },
      { failed: null, done: true },
    ]);
  });

  it('leaves a taken job whose lock ran out to BullMQ, and still completes the others and the job it was given', async () => {
    // the pass outlives the lock of one taken job (BullMQ's stalled check would put it back)
    const lockOf = (job: Job<StageJob>) => `${queuePrefix(prefix)}:${job.queueName}:${job.id}:lock`;
    const { settled } = await onePass('lock-lost', [{ tenantId: 'a', items: 1 }, { tenantId: 'a', items: 1 }, { tenantId: 'a', items: 1 }], async (added) => {
      await redis.del(lockOf(added[1]));
    }, 1);
    expect(settled.map((j) => ({ failed: j?.failedReason ?? null, done: Boolean(j?.finishedOn) }))).toEqual([
      { failed: null, done: true },
      { failed: null, done: false },
      { failed: null, done: true },
    ]);
  });

  it('fails the job it was given when that job’s group failed (so it is retried), after running the others', async () => {
    const { ran, settled } = await onePass('first-group-failed', [
      { tenantId: 'broken', items: 1, fail: true },
      { tenantId: 'ok', items: 4 },
    ]);
    expect(ran).toEqual(['broken', 'ok']);
    expect(settled.map((j) => j?.failedReason ?? null)).toEqual(['broken failed', null]);
  });
});

/**
 * `startCoalescingWorker` with `sharedMaxItems`: alone, a tenant's waiting jobs run as one large
 * pass; once another tenant has had work in the stage, passes stop near `sharedMaxItems`, so that
 * tenant's next job waits for a short pass.
 */
describe('startCoalescingWorker passes while the stage is shared (real Redis, real BullMQ)', () => {
  const prefix = `fs-test-shared-${randomBytes(6).toString('hex')}`;
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const deferred: (() => Promise<unknown>)[] = [];
  const deps = {
    redis,
    config: { queuePrefix: prefix },
    log: { error: () => undefined, warn: () => undefined },
    shutdown: { defer: (fn: () => Promise<unknown>) => deferred.push(fn) },
  } as unknown as SubgraphDeps;
  const name = 'shared-stage';
  const queue = new Queue<StageJob>(name, { connection: redis, prefix: queuePrefix(prefix) });
  /** items of each pass, in the order the passes ran */
  const passes: number[] = [];

  afterAll(async () => {
    for (const fn of deferred) await fn();
    await queue.close();
    const keys = await redis.keys(`${queuePrefix(prefix)}:*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  const itemsOf = (d: StageJob) => d.items;
  const allDone = async (count: number) => (await queue.getJobCounts('completed')).completed === count;

  it('takes every waiting job of a lone tenant, then short passes once a second tenant has had work', async () => {
    await queue.addBulk(Array.from({ length: 6 }, () => ({ name: 'j', data: { tenantId: 'acme', items: 40 } })));
    startCoalescingWorker<StageJob, StageJob[]>(deps, {
      queue: name as QueueName,
      concurrency: 1,
      limits: { maxJobs: 50, maxItems: 1_000, sharedMaxItems: 60, itemsOf },
      pass: {
        parse: (job) => [job.data],
        groupKey: (batch) => batch[0].tenantId,
        runGroup: async (batches) => void passes.push(batches.flat().reduce((n, b) => n + b.items, 0)),
        runAlone: async (job) => void passes.push(job.data.items),
      },
    });
    await waitFor(() => allDone(6));
    // alone: the job it was given and the five waiting behind it, one pass
    expect(passes).toEqual([240]);

    // a second tenant's job runs; then the first tenant floods again
    await queue.add('j', { tenantId: 'beta', items: 1 });
    await waitFor(() => allDone(7));
    passes.length = 0;
    await queue.addBulk(Array.from({ length: 6 }, () => ({ name: 'j', data: { tenantId: 'acme', items: 40 } })));
    await waitFor(() => allDone(13));
    expect(passes.reduce((a, b) => a + b, 0)).toBe(240);
    // shared: a pass stops once it holds 60 items (the job that crosses the line still comes along)
    for (const items of passes) expect(items).toBeLessThanOrEqual(80);
    expect(passes.length).toBeGreaterThanOrEqual(3);
  });
});
