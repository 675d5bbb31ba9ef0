// The far edge of the pipeline as a partner sees it: `riskChanged` through the gateway over
// graphql-ws, every message timestamped on arrival.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

import type { LoadGenerator } from './load-generator';
import { sleep } from './stats';

const RISK_CHANGED = /* GraphQL */ `
  subscription {
    riskChanged {
      profile { id }
      score
      scoredAt
    }
  }
`;

/** One `riskChanged` as received: `t` is this process's performance.now() at arrival. */
export interface ReceivedChange {
  profileId: string;
  score: number;
  t: number;
}

/** A graphql-ws subscriber to `riskChanged` (one key with risk:subscribe), no reconnects. */
export class RiskSubscriber {
  readonly changes: ReceivedChange[] = [];
  readonly errors: string[] = [];
  /** Arrival time of the first change of each profile. */
  readonly firstAt = new Map<string, number>();
  readonly connected: Promise<void>;
  private readonly client: Client;
  private readonly waiters = new Map<string, () => void>();

  constructor(wsUrl: string, key: string) {
    let onConnected: () => void = () => undefined;
    this.connected = new Promise<void>((r) => (onConnected = r));
    this.client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${key}` },
      retryAttempts: 0,
      lazy: false,
      on: {
        connected: () => onConnected(),
        closed: (event) => {
          const code = (event as { code?: number }).code;
          if (code !== 1000) this.errors.push(`socket closed (${code ?? 'no code'})`);
        },
      },
    });
    this.client.subscribe<{ riskChanged: { profile: { id: string }; score: number; scoredAt: string } }>(
      { query: RISK_CHANGED },
      {
        next: (result) => {
          const t = performance.now();
          if (result.errors?.length) this.errors.push(JSON.stringify(result.errors).slice(0, 300));
          const change = result.data?.riskChanged;
          if (!change) return;
          this.changes.push({ profileId: change.profile.id, score: change.score, t });
          if (!this.firstAt.has(change.profile.id)) {
            this.firstAt.set(change.profile.id, t);
            this.waiters.get('*')?.();
          }
        },
        error: (err) => void this.errors.push(err instanceof Error ? err.message : JSON.stringify(err).slice(0, 300)),
        complete: () => undefined,
      },
    );
  }

  /** Profiles with at least one change so far. */
  get profilesChanged(): number {
    return this.firstAt.size;
  }

  /**
   * Resolves when `count` profiles have had a first change, or after `timeoutMs`; true when the
   * count was reached. One waiter at a time.
   */
  waitForProfiles(count: number, timeoutMs: number): Promise<boolean> {
    if (this.firstAt.size >= count) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters.delete('*');
        resolve(this.firstAt.size >= count);
      }, timeoutMs);
      this.waiters.set('*', () => {
        if (this.firstAt.size < count) return;
        clearTimeout(timer);
        this.waiters.delete('*');
        resolve(true);
      });
    });
  }

  close(): Promise<void> {
    return this.client.dispose() as Promise<void>;
  }
}

/**
 * Sends one customer at a time until its riskChanged reaches `subscriber` (the subscription is
 * live end to end), at most 60 s, then lets the stragglers land for 2 s; throws when none arrived.
 */
/** Waits until every subscriber's socket is open, or throws after `timeoutMs` with their errors. */
export async function waitConnected(subscribers: readonly RiskSubscriber[], timeoutMs = 10_000): Promise<void> {
  const connected = await Promise.race([Promise.all(subscribers.map((s) => s.connected)).then(() => true), sleep(timeoutMs).then(() => false)]);
  if (!connected) throw new Error(`graphql-ws: not connected after ${timeoutMs / 1000} s: ${subscribers.flatMap((s) => s.errors).join('; ')}`);
}

export async function warmUp(load: LoadGenerator, subscriber: RiskSubscriber): Promise<void> {
  const warmUntil = performance.now() + 60_000;
  const before = subscriber.profilesChanged;
  let warm = false;
  while (!warm && performance.now() < warmUntil) {
    await load.single();
    warm = await subscriber.waitForProfiles(before + 1, 5_000);
  }
  if (!warm) throw new Error(`no riskChanged reached the subscriber within 60 s${subscriber.errors.length ? `: ${subscriber.errors.join('; ')}` : ''}`);
  await subscriber.waitForProfiles(Number.MAX_SAFE_INTEGER, 2_000);
}
