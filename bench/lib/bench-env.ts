import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';
import { Client } from 'pg';

import { loadConfig, type Config } from '../../subgraphs/common/config';
import { queuePrefix } from '../../subgraphs/common/queues';

/** Name of the variable that hands the throwaway environment to the child processes. */
export const BENCH_ENV_VAR = 'FORESIGHT_BENCH_ENV';

/** The PostgreSQL server a `postgres` bench environment creates its throwaway database on. */
export const PG_ADMIN_URL = process.env.BENCH_PG_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

/** A database the end-to-end benchmarks run the platform on. */
export type BenchDatabase = 'sqlite' | 'postgres';

/** `BENCH_DB` of the end-to-end benchmarks: `sqlite`, `postgres` or `both` (SQLite first). */
export function benchDatabases(raw: string): BenchDatabase[] {
  if (raw === 'both') return ['sqlite', 'postgres'];
  if (raw === 'sqlite' || raw === 'postgres') return [raw];
  throw new Error(`BENCH_DB: sqlite, postgres or both (got "${raw}")`);
}

export interface BenchEnvOptions {
  /** A throwaway PostgreSQL database on PG_ADMIN_URL instead of SQLite files. Default false. */
  postgres?: boolean;
  /** More configuration variables (e.g. raised ingestion limits), passed to every child too. */
  vars?: Record<string, string>;
}

export interface BenchEnv {
  /** The variables `loadConfig` is given, so child processes can rebuild the same config. */
  vars: Record<string, string>;
  config: Readonly<Config>;
  /** `sqlite`, or `postgresql` with the database name. */
  database: string;
  /**
   * Removes the data folder, drops the PostgreSQL database, and deletes the Redis keys under the
   * random prefix (BullMQ's `{prefix}:*` and the rate limiter's `prefix-*`).
   */
  cleanup(): Promise<void>;
}

/**
 * A config of its own for one benchmark run (the bench counterpart of test/fixtures/test-config.ts,
 * which is not compiled with bench/): a fresh data folder, a random secret and a random queue
 * prefix, and SQLite files or a fresh PostgreSQL database. Ambient variables (ports,
 * DATABASE_URL, …) are deliberately not read.
 */
export async function createBenchEnv(options: BenchEnvOptions = {}): Promise<BenchEnv> {
  const id = randomBytes(6).toString('hex');
  const dataDir = mkdtempSync(join(tmpdir(), 'foresight-bench-'));
  let dbName: string | null = null;
  let databaseUrl = '';
  if (options.postgres) {
    dbName = `foresight_bench_${id}`;
    try {
      await adminQuery(`create database ${dbName}`);
    } catch (err) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error(`cannot create the benchmark database on ${PG_ADMIN_URL} (set BENCH_PG_ADMIN_URL): ${(err as Error).message}`, { cause: err });
    }
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
  }
  const prefix = `fs-bench-${id}`;
  const vars: Record<string, string> = {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    FORESIGHT_SECRET: randomBytes(32).toString('base64url'),
    QUEUE_PREFIX: prefix,
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...options.vars,
  };
  const config = loadConfig(vars);
  return {
    vars,
    config,
    database: dbName ? `postgresql (${dbName})` : 'sqlite',
    async cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
      if (dbName) await adminQuery(`drop database if exists ${dbName} with (force)`);
      await deleteKeys(config.redisUrl, [`${queuePrefix(prefix)}:*`, `${prefix}-*`]);
    },
  };
}

/** The config a child process was handed through BENCH_ENV_VAR. */
export function benchConfigFromParent(): Readonly<Config> {
  const raw = process.env[BENCH_ENV_VAR];
  if (!raw) throw new Error(`${BENCH_ENV_VAR} is not set: this file is started by a benchmark in bench/`);
  return loadConfig(JSON.parse(raw) as Record<string, string>);
}

async function adminQuery(sql: string): Promise<void> {
  const admin = new Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** SCAN + DEL of the keys matching the patterns; never anything wider. */
async function deleteKeys(url: string, patterns: string[]): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    for (const pattern of patterns) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
