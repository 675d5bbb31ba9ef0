// Sends one packed batch to the gateway's `/v1/batch`, retrying what a retry can fix.
import type { PackedBatch } from './batch-packer';

/** What became of one batch: counts from the API, and the lines it refused with the reason. */
export interface SendOutcome {
  accepted: number;
  duplicates: number;
  bad: { line: number; reason: string }[];
}

/** Nothing more can be sent (the key is refused): the import stops. */
export class FatalImportError extends Error {}

export interface SenderOptions {
  /** Gateway base URL, e.g. `http://127.0.0.1:4000`. */
  url: string;
  /** A key with `events:write`, sent as Segment sends a write key (Basic, key as user). */
  key: string;
  /**
   * Attempts for a batch that meets a server error (5xx other than a 503 with `Retry-After`) or
   * no answer, before its lines are reported as not sent. 429, and 503 with `Retry-After`, are
   * the API asking to slow down and are retried without limit. Default 8.
   */
  retries?: number;
  /** Waits, in ms; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
  /** The lane the events run in; `history` (the default) runs behind every live job at every stage. */
  lane?: 'history' | 'live';
  /** Told about each wait before a retry (for the progress line). */
  onRetry?: (info: { status: number | null; waitMs: number; reason: string }) => void;
}

/** Longest wait between attempts, in ms, whatever `Retry-After` says. */
const MAX_WAIT_MS = 60_000;

/**
 * Posts the batch and returns what the API made of it; per-event errors (`errors[].index`) are
 * mapped back to line numbers. Throws `FatalImportError` on 401/403.
 */
export async function sendBatch(batch: PackedBatch, opts: SenderOptions): Promise<SendOutcome> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const retries = opts.retries ?? 8;
  const endpoint = `${baseUrl(opts.url)}/v1/batch`;
  const authorization = `Basic ${Buffer.from(`${opts.key}:`).toString('base64')}`;
  let failures = 0;
  for (;;) {
    let status: number | null = null;
    let reason: string;
    let waitMs: number | null = null;
    try {
      const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', authorization, ...(opts.lane === 'live' ? {} : { 'x-foresight-lane': 'history' }) }, body: batch.body });
      status = res.status;
      const body = (await res.json().catch(() => null)) as ApiAnswer | null;
      if (res.status === 200 && body) return outcomeOf(batch, body);
      reason = body?.message ?? `HTTP ${res.status}`;
      if (res.status === 401 || res.status === 403) throw new FatalImportError(`the gateway refused the key (${res.status}): ${reason}`);
      if (res.status >= 400 && res.status < 500 && res.status !== 429) return refusedBatch(batch, body, reason);
      waitMs = retryAfterMs(res.headers.get('retry-after'), Date.now());
      if (res.status !== 429 && !(res.status === 503 && waitMs !== null)) failures++;
    } catch (err) {
      if (err instanceof FatalImportError) throw err;
      reason = `no answer from ${endpoint}: ${(err as Error).message}`;
      failures++;
    }
    if (failures >= retries) return { accepted: 0, duplicates: 0, bad: batch.lines.map((line) => ({ line, reason: `not sent after ${failures} attempts: ${reason}` })) };
    const wait = Math.min(MAX_WAIT_MS, waitMs ?? backoffMs(Math.max(failures, 1)));
    opts.onRetry?.({ status, waitMs: wait, reason });
    await sleep(wait);
  }
}

interface ApiAnswer {
  success?: boolean;
  accepted?: number;
  duplicates?: number;
  code?: string;
  message?: string;
  errors?: { index: number; message: string }[];
}

function outcomeOf(batch: PackedBatch, body: ApiAnswer): SendOutcome {
  return {
    accepted: body.accepted ?? 0,
    duplicates: body.duplicates ?? 0,
    bad: (body.errors ?? []).map((e) => ({ line: batch.lines[e.index] ?? -1, reason: e.message })),
  };
}

/** A 4xx for the whole request: per-event reasons when the API gave them, else one reason for every line. */
function refusedBatch(batch: PackedBatch, body: ApiAnswer | null, reason: string): SendOutcome {
  if (body?.errors && body.errors.length > 0) return outcomeOf(batch, body);
  return { accepted: 0, duplicates: 0, bad: batch.lines.map((line) => ({ line, reason: `refused with the whole request: ${reason}` })) };
}

/**
 * The wait a `Retry-After` header asks for, in ms: delay-seconds or an HTTP date (RFC 9110
 * §10.2.3); null when absent or unreadable.
 */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (header === null || header.trim() === '') return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}

/** Exponential backoff with jitter, in ms: about 0.5 s, 1 s, 2 s … up to 30 s. */
export function backoffMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 500 * 2 ** (attempt - 1));
  return Math.round(base * (0.75 + 0.5 * random()));
}

/** The gateway's base URL from what a user may type (a trailing `/`, `/graphql` or `/v1/batch`). */
export function baseUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/(graphql|v1\/batch)$/, '');
}
