import type { Redis } from 'ioredis';

import { loadConfig } from '../../../subgraphs/common/config';
import { ACK_WINDOW_MS, JOB_ATTEMPTS, queueOptions, setJobAttempts, setWorkerTiming, workerOptions } from '../../../subgraphs/common/queues';

const env = { NODE_ENV: 'test', FORESIGHT_SECRET: 'x'.repeat(32) };

describe('worker lock and stalled-check timing', () => {
  it('defaults to BullMQ’s own values (30 s each)', () => {
    expect(loadConfig(env).queues).toEqual({ lockDurationMs: 30_000, stalledIntervalMs: 30_000, jobAttempts: JOB_ATTEMPTS, ackWindowMs: ACK_WINDOW_MS });
  });

  it('reads QUEUE_LOCK_DURATION_MS and QUEUE_STALLED_INTERVAL_MS', () => {
    expect(loadConfig({ ...env, QUEUE_LOCK_DURATION_MS: '3000', QUEUE_STALLED_INTERVAL_MS: '1000' }).queues).toEqual({
      lockDurationMs: 3000,
      stalledIntervalMs: 1000,
      jobAttempts: JOB_ATTEMPTS,
      ackWindowMs: ACK_WINDOW_MS,
    });
  });

  it('reads QUEUE_ACK_WINDOW_MS, 0 or more (0: acknowledgements are sent at once)', () => {
    expect(loadConfig({ ...env, QUEUE_ACK_WINDOW_MS: '0' }).queues.ackWindowMs).toBe(0);
    expect(loadConfig({ ...env, QUEUE_ACK_WINDOW_MS: '50' }).queues.ackWindowMs).toBe(50);
    expect(() => loadConfig({ ...env, QUEUE_ACK_WINDOW_MS: '-1' })).toThrow('QUEUE_ACK_WINDOW_MS: must be 0 or more');
  });

  it.each(['QUEUE_LOCK_DURATION_MS', 'QUEUE_STALLED_INTERVAL_MS', 'QUEUE_JOB_ATTEMPTS'])('refuses a %s that is not positive', (key) => {
    expect(() => loadConfig({ ...env, [key]: '0' })).toThrow(`${key}: must be a positive number`);
  });

  it('reads QUEUE_JOB_ATTEMPTS, a whole number', () => {
    expect(loadConfig({ ...env, QUEUE_JOB_ATTEMPTS: '3' }).queues.jobAttempts).toBe(3);
    expect(() => loadConfig({ ...env, QUEUE_JOB_ATTEMPTS: '2.5' })).toThrow('QUEUE_JOB_ATTEMPTS: must be a whole number');
  });

  it('queues jobs with the attempts set for a connection, and JOB_ATTEMPTS on any other', () => {
    const tuned = {} as Redis;
    setJobAttempts(tuned, 3);
    expect(queueOptions(tuned, 'p').defaultJobOptions).toMatchObject({ attempts: 3 });
    expect(queueOptions({} as Redis, 'p').defaultJobOptions).toMatchObject({ attempts: JOB_ATTEMPTS });
  });

  it('applies the timing set for a connection to the workers built on it, and only to those', () => {
    // only identity matters here: no connection is opened
    const tuned = {} as Redis;
    const other = {} as Redis;
    setWorkerTiming(tuned, { lockDurationMs: 3000, stalledIntervalMs: 1000 });
    expect(workerOptions(tuned, 'p', 2)).toMatchObject({ prefix: '{p}', concurrency: 2, lockDuration: 3000, stalledInterval: 1000 });
    const plain = workerOptions(other, 'p');
    expect(plain).toMatchObject({ prefix: '{p}', concurrency: 8 });
    expect(plain).not.toHaveProperty('lockDuration');
    expect(plain).not.toHaveProperty('stalledInterval');
  });
});
