import { randomBytes } from 'node:crypto';

import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

import { CAPPED_BACKOFF, queueOptions, workerOptions } from '../../../subgraphs/common/queues';
import { waitFor } from '../../fixtures/wait-for';

describe('the capped retry backoff of stage jobs', () => {
  it('retries a job that fails with an infrastructure error on the workers’ own strategy until it succeeds', async () => {
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
    const prefix = `fs-test-${randomBytes(6).toString('hex')}`;
    const queue = new Queue<{ n: number }>('retry-test', queueOptions(redis, prefix));
    let calls = 0;
    const worker = new Worker<{ n: number }>(
      'retry-test',
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('connection refused');
      },
      workerOptions(redis, prefix, 1),
    );
    try {
      const job = await queue.add('retry-test', { n: 1 });
      expect(job.opts.backoff).toEqual({ type: CAPPED_BACKOFF, delay: 500 });
      await waitFor(async () => (await queue.getJob(job.id!))?.finishedOn !== undefined, 15_000, 50);
      const done = (await queue.getJob(job.id!))!;
      expect({ calls, attemptsMade: done.attemptsMade, failedReason: done.failedReason }).toEqual({ calls: 3, attemptsMade: 3, failedReason: 'connection refused' });
      expect(await done.isCompleted()).toBe(true);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await redis.quit();
    }
  });
});
