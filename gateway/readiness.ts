import type { Redis } from 'ioredis';

/** What a failed readiness check says: a code, never an error's text (it may name hosts and internals). */
export type CheckCode = 'ok' | 'TIMEOUT' | 'UNREACHABLE' | `HTTP_${number}`;

export interface Readiness {
  ok: boolean;
  checks: Record<string, CheckCode>;
}

export interface ReadinessOptions {
  /** How long one answer is reused, in ms: `/readyz` is unauthenticated, so callers cannot make it fan out. Default 2000. */
  cacheMs?: number;
  /** Longest wait for each check, in ms. Default 1000. */
  timeoutMs?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/**
 * `/readyz`: Redis answers PING and every subgraph answers `/healthz`. One probe runs at a time and
 * its answer serves every caller for `cacheMs`, however many ask.
 */
export function createReadiness(redis: Redis, urls: Record<string, string>, opts: ReadinessOptions = {}): () => Promise<Readiness> {
  const cacheMs = opts.cacheMs ?? 2000;
  const timeoutMs = opts.timeoutMs ?? 1000;
  const now = opts.now ?? Date.now;
  let cached: { at: number; answer: Promise<Readiness> } | null = null;

  const probe = async (fn: () => Promise<CheckCode>): Promise<CheckCode> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<CheckCode>((resolve) => {
      timer = setTimeout(() => resolve('TIMEOUT'), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([fn().catch((): CheckCode => 'UNREACHABLE'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  const run = async (): Promise<Readiness> => {
    const names = ['redis', ...Object.keys(urls)];
    const codes = await Promise.all([
      probe(async () => ((await redis.ping()) === 'PONG' ? 'ok' : 'UNREACHABLE')),
      ...Object.values(urls).map((url) =>
        probe(async () => {
          const res = await fetch(url.replace(/\/graphql$/, '/healthz'), { signal: AbortSignal.timeout(timeoutMs) });
          await res.body?.cancel();
          return res.ok ? 'ok' : `HTTP_${res.status}`;
        }),
      ),
    ]);
    const checks = Object.fromEntries(names.map((name, i) => [name, codes[i]])) as Record<string, CheckCode>;
    return { ok: codes.every((c) => c === 'ok'), checks };
  };

  return () => {
    const at = now();
    if (!cached || at - cached.at >= cacheMs) cached = { at, answer: run() };
    return cached.answer;
  };
}
