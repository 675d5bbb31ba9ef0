import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { loadConfig, type Config } from '../../subgraphs/common/config';
import { queuePrefix } from '../../subgraphs/common/queues';

/** Name of the variable that hands the throwaway environment to the child processes. */
export const BENCH_ENV_VAR = 'FORESIGHT_BENCH_ENV';

export interface BenchEnv {
  /** The variables `loadConfig` is given, so child processes can rebuild the same config. */
  vars: Record<string, string>;
  config: Readonly<Config>;
  /** Removes the SQLite folder and the BullMQ keys under the random queue prefix. */
  cleanup(): Promise<void>;
}

/**
 * A config of its own for one benchmark run (the bench counterpart of test/fixtures/test-config.ts,
 * which is not compiled with bench/): a fresh SQLite folder, a random secret and a random queue prefix.
 * Ambient variables (ports, DATABASE_URL, …) are deliberately not read.
 */
export function createBenchEnv(): BenchEnv {
  const id = randomBytes(6).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'foresight-bench-'));
  const vars: Record<string, string> = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    FORESIGHT_SECRET: randomBytes(32).toString('base64url'),
    QUEUE_PREFIX: `fs-bench-${id}`,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  };
  const config = loadConfig(vars);
  return {
    vars,
    config,
    async cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
      await deleteKeys(config.redisUrl, `${queuePrefix(config.queuePrefix)}:*`);
    },
  };
}

/** The config a child process was handed through BENCH_ENV_VAR. */
export function benchConfigFromParent(): Readonly<Config> {
  const raw = process.env[BENCH_ENV_VAR];
  if (!raw) throw new Error(`${BENCH_ENV_VAR} is not set: this file is started by bench/gateway.bench.ts`);
  return loadConfig(JSON.parse(raw) as Record<string, string>);
}

async function deleteKeys(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
