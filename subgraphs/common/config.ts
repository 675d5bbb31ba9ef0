import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { bool, cleanEnv, num, port, str, url, EnvError, EnvMissingError } from 'envalid';

/**
 * The one place that reads `process.env`. `loadConfig(env)` checks every key in one pass,
 * throws one error listing every problem, and returns a frozen object passed down in `deps`.
 */
export interface Config {
  /** `production` turns off introspection and hides limit details. Default `development`. */
  nodeEnv: 'development' | 'production' | 'test';
  /** pino level. Default `info` (`warn` under test). */
  logLevel: string;
  /** Redis for BullMQ and pub/sub. Default `redis://127.0.0.1:6379`. */
  redisUrl: string;
  /** PostgreSQL connection string; when empty every subgraph uses its own SQLite file. */
  databaseUrl: string | null;
  /** Folder for SQLite files and the dev secret. Default `.data`. */
  dataDir: string;
  /** Interface every service binds to. Default `127.0.0.1`. */
  host: string;
  ports: { gateway: number; profiles: number; signals: number; risk: number; actions: number };
  /** Subgraph URLs the gateway calls (HTTP; WebSocket on the same path). */
  subgraphUrls: { profiles: string; signals: string; risk: string; actions: string };
  /**
   * Secret for the HMAC-signed tenant context the gateway forwards to subgraphs and for API-key
   * hashes. Required in production; in development a random one is kept in `<dataDir>/secret`.
   */
  secret: string;
  /** Lifetime of a signed tenant context, in seconds. Bounds replay of a captured header. Default 60. */
  contextTtlSeconds: number;
  /** Prefix of every BullMQ key and pub/sub channel, so environments can share a Redis. Default `foresight`. */
  queuePrefix: string;
  limits: {
    /** Deepest selection allowed. Default 12. */
    maxDepth: number;
    /** Aliases per operation. Default 20. */
    maxAliases: number;
    /** Tokens per operation document. Default 2000. */
    maxTokens: number;
    /** Static cost per operation (graphql-armor cost-limit). Default 5000. */
    maxCost: number;
  };
  risk: {
    /** A new score publishes `riskChanged` when it moves by more than this many points (0–100). Default 5. */
    changeDelta: number;
  };
}

export const SUBGRAPH_NAMES = ['profiles', 'signals', 'risk', 'actions'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  const problems: string[] = [];
  const e = cleanEnv(
    env,
    {
      NODE_ENV: str({ choices: ['development', 'production', 'test'], default: 'development' }),
      LOG_LEVEL: str({ default: '' }),
      REDIS_URL: url({ default: 'redis://127.0.0.1:6379' }),
      DATABASE_URL: str({ default: '' }),
      DATA_DIR: str({ default: '.data' }),
      HOST: str({ default: '127.0.0.1' }),
      GATEWAY_PORT: port({ default: 4000 }),
      PROFILES_PORT: port({ default: 4001 }),
      SIGNALS_PORT: port({ default: 4002 }),
      RISK_PORT: port({ default: 4003 }),
      ACTIONS_PORT: port({ default: 4004 }),
      PROFILES_URL: str({ default: '' }),
      SIGNALS_URL: str({ default: '' }),
      RISK_URL: str({ default: '' }),
      ACTIONS_URL: str({ default: '' }),
      FORESIGHT_SECRET: str({ default: '' }),
      CONTEXT_TTL_SECONDS: num({ default: 60 }),
      QUEUE_PREFIX: str({ default: 'foresight' }),
      MAX_DEPTH: num({ default: 12 }),
      MAX_ALIASES: num({ default: 20 }),
      MAX_TOKENS: num({ default: 2000 }),
      MAX_COST: num({ default: 5000 }),
      RISK_CHANGE_DELTA: num({ default: 5 }),
      FORESIGHT_PRETTY_LOGS: bool({ default: false }),
    },
    {
      reporter: ({ errors }) => {
        for (const [key, err] of Object.entries(errors)) {
          if (!err) continue;
          const why = err instanceof EnvMissingError ? 'is required' : (err as EnvError).message;
          problems.push(`${key}: ${why}`);
        }
      },
    },
  );
  if (e.DATABASE_URL && !/^postgres(ql)?:\/\//.test(e.DATABASE_URL)) {
    problems.push('DATABASE_URL: must be a postgres:// or postgresql:// URL (leave it empty for SQLite)');
  }
  if (e.NODE_ENV === 'production' && e.FORESIGHT_SECRET.length < 32) {
    problems.push('FORESIGHT_SECRET: at least 32 characters are required in production');
  }
  for (const key of ['MAX_DEPTH', 'MAX_ALIASES', 'MAX_TOKENS', 'MAX_COST', 'CONTEXT_TTL_SECONDS'] as const) {
    if (!(e[key] > 0)) problems.push(`${key}: must be a positive number`);
  }
  if (problems.length) {
    throw new Error(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }

  const dataDir = resolve(e.DATA_DIR);
  const host = e.HOST;
  const ports = {
    gateway: e.GATEWAY_PORT,
    profiles: e.PROFILES_PORT,
    signals: e.SIGNALS_PORT,
    risk: e.RISK_PORT,
    actions: e.ACTIONS_PORT,
  };
  const local = (p: number) => `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${p}/graphql`;
  return Object.freeze({
    nodeEnv: e.NODE_ENV as Config['nodeEnv'],
    logLevel: e.LOG_LEVEL || (e.NODE_ENV === 'test' ? 'warn' : 'info'),
    redisUrl: e.REDIS_URL,
    databaseUrl: e.DATABASE_URL || null,
    dataDir,
    host,
    ports,
    subgraphUrls: {
      profiles: e.PROFILES_URL || local(ports.profiles),
      signals: e.SIGNALS_URL || local(ports.signals),
      risk: e.RISK_URL || local(ports.risk),
      actions: e.ACTIONS_URL || local(ports.actions),
    },
    secret: e.FORESIGHT_SECRET || devSecret(dataDir),
    contextTtlSeconds: e.CONTEXT_TTL_SECONDS,
    queuePrefix: e.QUEUE_PREFIX,
    limits: {
      maxDepth: e.MAX_DEPTH,
      maxAliases: e.MAX_ALIASES,
      maxTokens: e.MAX_TOKENS,
      maxCost: e.MAX_COST,
    },
    risk: { changeDelta: e.RISK_CHANGE_DELTA },
  });
}

/**
 * Development only: every local process must share one secret, so the first one to start
 * writes a random secret to `<dataDir>/secret` and the others read it.
 */
function devSecret(dataDir: string): string {
  const file = join(dataDir, 'secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, secret, { flag: 'wx', mode: 0o600 });
  } catch {
    // another process won the race: use its secret
    return readFileSync(file, 'utf8').trim();
  }
  return secret;
}
