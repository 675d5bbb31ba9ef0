import { randomBytes } from 'node:crypto';

import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { FairShare, LANE_SPAN, spreadPriorities, type Lane } from '../../../subgraphs/common/fair-share';
import { queueOptions, workerOptions } from '../../../subgraphs/common/queues';
import { waitFor } from '../../fixtures/wait-for';

const QUEUE = 'fair-share-test';

interface Item {
  tenantId: string;
  n: number;
}

describe('FairShare', () => {
  let redis: Redis;
  let prefix: string;
  let queue: Queue<Item>;
  let fair: FairShare;

  beforeEach(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    prefix = `fs-test-${randomBytes(6).toString('hex')}`;
    queue = new Queue<Item>(QUEUE, queueOptions(redis, prefix));
    fair = new FairShare(redis, prefix);
  });
  afterEach(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await redis.quit();
  });

  /** Enqueues `count` jobs of a tenant numbered from `from`, with the priorities FairShare gives. */
  async function enqueue(tenantId: string, from: number, count: number, lane: Lane = 'live'): Promise<void> {
    const priorities = await fair.priorities(QUEUE, tenantId, count, lane);
    await queue.addBulk(priorities.map((priority, i) => ({ name: QUEUE, data: { tenantId, n: from + i }, opts: { priority, jobId: `${tenantId}-${lane}-${from + i}` } })));
  }

  /** The order a single worker takes the queued jobs in. */
  async function drainOrder(total: number): Promise<string[]> {
    const order: string[] = [];
    const worker = new Worker<Item>(QUEUE, async (job) => void order.push(`${job.data.tenantId}${job.data.n}`), workerOptions(redis, prefix, 1));
    try {
      await waitFor(async () => order.length === total, 20_000, 20);
    } finally {
      await worker.close();
    }
    return order;
  }

  it('serves a tenant that arrives behind another tenant’s backlog after at most one of its jobs', async () => {
    await enqueue('a', 0, 50);
    await enqueue('b', 0, 3);
    const order = await drainOrder(53);
    // b's jobs alternate with a's from the head of the queue on: a0 b0 a1 b1 a2 b2 a3 …
    expect(order.slice(0, 7)).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2', 'a3']);
    // each tenant's own jobs keep the order they were queued in
    for (const tenant of ['a', 'b']) {
      const own = order.filter((id) => id.startsWith(tenant)).map((id) => Number(id.slice(1)));
      expect(own).toEqual([...own].sort((x, y) => x - y));
    }
  });

  it('gives a tenant that arrives later, while the backlog is being worked off, a place at the head', async () => {
    await enqueue('a', 0, 20);
    const taken: string[] = [];
    const worker = new Worker<Item>(
      QUEUE,
      async (job) => {
        taken.push(`${job.data.tenantId}${job.data.n}`);
        // once a has had 10 jobs served, b shows up with 2
        if (taken.length === 10) await enqueue('b', 0, 2);
      },
      workerOptions(redis, prefix, 1),
    );
    try {
      await waitFor(async () => taken.length === 22, 20_000, 20);
    } finally {
      await worker.close();
    }
    const firstB = taken.indexOf('b0');
    expect(firstB).toBeGreaterThanOrEqual(10);
    expect(firstB).toBeLessThanOrEqual(11);
    expect(taken.indexOf('b1')).toBeLessThanOrEqual(13);
  });

  it('does not hold against a tenant the jobs it ran while the platform was idle', async () => {
    // b keeps using an idle platform: 30 jobs, each taken before the next arrives
    const taken: string[] = [];
    const worker = new Worker<Item>(QUEUE, async (job) => void taken.push(`${job.data.tenantId}${job.data.n}`), workerOptions(redis, prefix, 1));
    try {
      for (let n = 0; n < 30; n++) {
        await enqueue('b', n, 1);
        await waitFor(async () => taken.length === n + 1, 10_000, 5);
      }
    } finally {
      await worker.close();
    }
    // then a floods, and b sends one more: a's first job takes up virtual time where b's last
    // idle job was, so b's next comes after at most two of a's (without the idle catch-up, after 30)
    await enqueue('a', 0, 50);
    await enqueue('b', 30, 1);
    const order = await drainOrder(51);
    expect(order.indexOf('b30')).toBeLessThanOrEqual(2);
  });

  it('serves the live lane before the history lane, whatever was queued first', async () => {
    await enqueue('a', 0, 5, 'history');
    await enqueue('b', 0, 5, 'history');
    await enqueue('a', 100, 2, 'live');
    const order = await drainOrder(12);
    expect(order.slice(0, 2)).toEqual(['a100', 'a101']);
    // within the history lane the two tenants still share fairly
    expect(order.slice(2, 6)).toEqual(['a0', 'b0', 'a1', 'b1']);
  });

  it('reports a tenant’s backlog as its lead over the lane’s clock', async () => {
    await enqueue('a', 0, 40);
    await enqueue('b', 0, 2);
    expect(await fair.backlog(QUEUE, 'a')).toBe(40);
    expect(await fair.backlog(QUEUE, 'b')).toBe(2);
    expect(await fair.backlog(QUEUE, 'c')).toBe(0);
    await drainOrder(42);
    expect(await fair.backlog(QUEUE, 'a')).toBe(0);
  });
});

describe('spreadPriorities', () => {
  it.each([
    ['numbers live jobs from the virtual time given', 1, 3, 'live', [1, 2, 3]],
    ['puts history jobs above every live priority', 1, 2, 'history', [LANE_SPAN, LANE_SPAN + 1]],
    ['clamps at the top of the live lane', LANE_SPAN - 2, 3, 'live', [LANE_SPAN - 2, LANE_SPAN - 1, LANE_SPAN - 1]],
    ['clamps at BullMQ’s highest priority', LANE_SPAN - 1, 3, 'history', [2 * LANE_SPAN - 2, 2 * LANE_SPAN - 1, 2 * LANE_SPAN - 1]],
  ] as const)('%s', (_name, first, count, lane, expected) => {
    expect(spreadPriorities(first, count, lane)).toEqual(expected);
  });
});
