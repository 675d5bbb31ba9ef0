import { loadConfig } from '../../../../subgraphs/common/config';
import type { ClassifierFitTask } from '../../../../subgraphs/risk/domain/training/fit-task';
import { runFitTask } from '../../../../subgraphs/risk/domain/training/fit-task';
import { FitThreadError, FitThreadPool, type FitLabel } from '../../../../subgraphs/risk/services/fit-thread-pool';
import { hookedFitThread } from '../../../fixtures/hooked-fit-thread';

const env = { NODE_ENV: 'test', FORESIGHT_SECRET: 'x'.repeat(32) };

/** A small classifier fit: 60 customers, a feature that separates the classes with some noise. */
function task(): ClassifierFitTask {
  const rows = Array.from({ length: 240 }, (_, i) => ({
    profileId: `p${i % 60}`,
    features: { usage: (i * 7) % 11, plan: i % 3 === 0 ? 'pro' : 'free' },
    label: ((i * 7) % 11 > 5) !== (i % 13 === 0) ? (1 as const) : (0 as const),
  }));
  return { kind: 'classifier', rows, groupBy: 'profileId', spec: { numeric: ['usage'], categorical: ['plan'] }, options: { holdoutFraction: 0.3, l2: 1, seed: 7 }, minClassExamples: 5 };
}

const label = (modelId: string): FitLabel => ({ tenantId: 't', modelId });

describe('FitThreadPool', () => {
  it('returns what the same fit gives on the main thread', async () => {
    const pool = new FitThreadPool({ size: 1, timeoutMs: 30_000 });
    try {
      expect(await pool.run(task(), label('a'))).toEqual(runFitTask(task()));
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('queues fits beyond its size, and replaces a thread it stopped at the timeout', async () => {
    const gate = new Int32Array(new SharedArrayBuffer(4));
    const pool = new FitThreadPool({ size: 1, timeoutMs: 2000, thread: hookedFitThread({ hold: gate.buffer as SharedArrayBuffer }) });
    const events: string[] = [];
    pool.on('fit-started', (l: FitLabel) => events.push(`start ${l.modelId}`));
    pool.on('fit-finished', (l: FitLabel) => events.push(`end ${l.modelId}`));
    try {
      // held past the timeout: the thread is terminated and the fit fails with the reason
      const first = pool.run(task(), label('held'));
      const second = pool.run(task(), label('next'));
      await expect(first).rejects.toThrow(new FitThreadError('timeout', 'the fit ran longer than RISK_TRAINING_TIMEOUT_MS (2000 ms) and was stopped'));
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      // the waiting fit runs on a new thread, only after the first ended
      expect((await second).kind).toBe('classifier');
      expect(events).toEqual(['start held', 'end held', 'start next', 'end next']);
    } finally {
      await pool.close();
    }
  }, 120_000);

  it('reads RISK_TRAINING_THREADS (a positive whole number) and RISK_TRAINING_TIMEOUT_MS', () => {
    expect(loadConfig(env).risk).toMatchObject({ trainingThreads: 1, trainingTimeoutMs: 600_000 });
    expect(loadConfig({ ...env, RISK_TRAINING_THREADS: '3', RISK_TRAINING_TIMEOUT_MS: '5000' }).risk).toMatchObject({ trainingThreads: 3, trainingTimeoutMs: 5000 });
    expect(() => loadConfig({ ...env, RISK_TRAINING_THREADS: '0' })).toThrow('RISK_TRAINING_THREADS: must be a positive number');
    expect(() => loadConfig({ ...env, RISK_TRAINING_THREADS: '1.5' })).toThrow('RISK_TRAINING_THREADS: must be a whole number');
    expect(() => loadConfig({ ...env, RISK_TRAINING_TIMEOUT_MS: '-1' })).toThrow('RISK_TRAINING_TIMEOUT_MS: must be a positive number');
  });
});
