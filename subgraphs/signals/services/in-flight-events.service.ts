import type { Redis } from 'ioredis';

import type { Lane } from '../../common/fair-share';
import { queuePrefix } from '../../common/queues';

/** Takes `count` from a lane's counter, never below zero (a replayed acknowledgement must not leave a debt). */
const SETTLE_SCRIPT = `
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
local next = current - tonumber(ARGV[2])
if next < 0 then next = 0 end
redis.call('HSET', KEYS[1], ARGV[1], next)
return next
`;

/**
 * Brings a tenant's counters down to what SQL counted (ARGV[1]) plus what changed in Redis since
 * the sweeper read them before its query (current − ARGV[2]). Only ever lowers: an over-count
 * (a replayed batch counted twice, a crash between an UPDATE and its decrement) would hold a
 * tenant back for good, an under-count (a Redis flush) only admits it sooner. The history lane
 * gives way first. A tenant with nothing in flight is dropped from the set.
 */
const RECONCILE_SCRIPT = `
local live = tonumber(redis.call('HGET', KEYS[1], 'live') or '0')
local history = tonumber(redis.call('HGET', KEYS[1], 'history') or '0')
if live < 0 then live = 0 end
if history < 0 then history = 0 end
local current = live + history
local target = tonumber(ARGV[1]) + current - tonumber(ARGV[2])
if target < 0 then target = 0 end
if current > target then
  local cut = current - target
  local fromHistory = math.min(history, cut)
  history = history - fromHistory
  live = math.max(0, live - (cut - fromHistory))
end
if live == 0 and history == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[3])
else
  redis.call('HSET', KEYS[1], 'live', live, 'history', history)
end
return live + history
`;

interface InFlightRedis extends Redis {
  inFlightSettle(key: string, lane: Lane, count: number): Promise<number>;
  inFlightReconcile(key: string, tenants: string, sqlCount: number, before: number, tenantId: string): Promise<number>;
}

function withScripts(redis: Redis): InFlightRedis {
  const r = redis as InFlightRedis;
  if (typeof r.inFlightSettle !== 'function') {
    redis.defineCommand('inFlightSettle', { numberOfKeys: 1, lua: SETTLE_SCRIPT });
    redis.defineCommand('inFlightReconcile', { numberOfKeys: 2, lua: RECONCILE_SCRIPT });
  }
  return r;
}

/** A tenant's events in flight, per lane. */
export interface InFlightCount {
  live: number;
  history: number;
}

/**
 * Each tenant's events in flight: accepted (stored by ingestion) but not yet acknowledged by risk
 * (the events table's `processedAt` null or `handOffPendingSince` set), per lane, kept in Redis so
 * that admission reads one hash field per request instead of counting rows. Ingestion adds the
 * events it stored, after the commit; the hand-off to risk takes away the events whose marker it
 * actually cleared (an UPDATE's row count, so a replay takes nothing); the sweeper lowers the
 * counters to what SQL counts at each tick (`reconcile`), so no drift holds a tenant back for
 * longer than a sweep interval. A Redis flush forgets the counters: the tenant is admitted until
 * its new events count again (the other limits still apply). Keys live under the hash-tagged
 * queue prefix.
 */
export class InFlightEvents {
  private readonly redis: InFlightRedis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = withScripts(redis);
    this.prefix = queuePrefix(prefix);
  }

  /** Ingestion stored `count` new events of the tenant in `lane`. */
  async add(tenantId: string, lane: Lane, count: number): Promise<void> {
    if (count <= 0) return;
    await this.redis.multi().hincrby(this.key(tenantId), lane, count).sadd(this.tenantsKey(), tenantId).exec();
  }

  /** Risk acknowledged (or the detect stage finished, for events without a profile) `count` events of the tenant in `lane`. */
  async settle(tenantId: string, lane: Lane, count: number): Promise<void> {
    if (count <= 0) return;
    await this.redis.inFlightSettle(this.key(tenantId), lane, count);
  }

  /** The tenant's events in flight in `lane` (0 when unknown). One HGET. */
  async read(tenantId: string, lane: Lane): Promise<number> {
    return Math.max(0, Number((await this.redis.hget(this.key(tenantId), lane)) ?? 0));
  }

  /** Both lanes of the tenants named. One round trip. */
  async readMany(tenantIds: readonly string[]): Promise<Map<string, InFlightCount>> {
    const counts = new Map<string, InFlightCount>();
    if (tenantIds.length === 0) return counts;
    const pipeline = this.redis.pipeline();
    for (const tenantId of tenantIds) pipeline.hmget(this.key(tenantId), 'live', 'history');
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([err, values], i) => {
      if (err) throw err;
      const [live, history] = (values as (string | null)[]).map((v) => Math.max(0, Number(v ?? 0)));
      counts.set(tenantIds[i], { live, history });
    });
    return counts;
  }

  /** The tenants with a counter (what `reconcile` must look at besides those SQL names). */
  tenants(): Promise<string[]> {
    return this.redis.smembers(this.tenantsKey());
  }

  /**
   * Lowers every tenant's counters to SQL's count (see `RECONCILE_SCRIPT`): `before` is what
   * `readMany` gave just before the SQL read, `counted` the tenants' events not yet handed on per
   * SQL (a tenant absent has none). One round trip.
   */
  async reconcile(before: ReadonlyMap<string, InFlightCount>, counted: ReadonlyMap<string, number>): Promise<void> {
    if (before.size === 0) return;
    const pipeline = this.redis.pipeline() as unknown as { inFlightReconcile(...args: unknown[]): unknown; exec(): Promise<[Error | null, unknown][] | null> };
    for (const [tenantId, { live, history }] of before) {
      pipeline.inFlightReconcile(this.key(tenantId), this.tenantsKey(), counted.get(tenantId) ?? 0, live + history, tenantId);
    }
    const replies = (await pipeline.exec()) ?? [];
    for (const [err] of replies) if (err) throw err;
  }

  private key(tenantId: string): string {
    return `${this.prefix}:in-flight:${tenantId}`;
  }

  private tenantsKey(): string {
    return `${this.prefix}:in-flight-tenants`;
  }
}
