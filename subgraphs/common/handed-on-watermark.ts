import type { Redis } from 'ioredis';

import { queuePrefix } from './queues';

/**
 * Sets a key to a number only if it grows: every value written is a valid lower bound of the
 * watermark, so the largest one wins whatever order writers (batches, sweeps) finish in.
 */
const RAISE_SCRIPT = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local value = tonumber(ARGV[1])
if value > current then redis.call('SET', KEYS[1], ARGV[1]) end
return redis.status_reply('OK')
`;

/** Field of the sweep hash holding the time of the sweep's SQL read (ms). */
const AS_OF = '~asOf';

interface WatermarkRedis extends Redis {
  handedOnRaise(key: string, value: number): Promise<unknown>;
}

function withScript(redis: Redis): WatermarkRedis {
  const r = redis as WatermarkRedis;
  if (typeof r.handedOnRaise !== 'function') redis.defineCommand('handedOnRaise', { numberOfKeys: 1, lua: RAISE_SCRIPT });
  return r;
}

/**
 * A tenant's "handed-on watermark": the receivedAt time (epoch ms) before which every event the
 * signals stage accepted for the tenant has been handed on to risk. Signals publishes it (it owns
 * the events table); risk reads it before training, since it may not read signals' tables.
 *
 * Two sources, both derived from SQL, so a Redis flush loses nothing a sweep does not rebuild:
 * - the sweep: one hash, replaced at each tick, with the time of its read (`~asOf`, the
 *   watermark of every tenant with nothing pending) and each pending tenant's oldest pending
 *   receivedAt;
 * - the event-resolved batches: a key per tenant, only ever raised.
 * The watermark is the larger of the two. Unknown (null) until either was written since a flush.
 * Keys live under the hash-tagged queue prefix.
 */
export class HandedOnWatermark {
  private readonly redis: WatermarkRedis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = withScript(redis);
    this.prefix = queuePrefix(prefix);
  }

  /** A batch's reading for one tenant (epoch ms); lower readings than the stored one are ignored. */
  async raise(tenantId: string, watermarkMs: number): Promise<void> {
    await this.redis.handedOnRaise(this.tenantKey(tenantId), Math.floor(watermarkMs));
  }

  /** A sweep's reading: `asOfMs` for every tenant not in `pendingSince`, whose values are theirs. */
  async publishSweep(asOfMs: number, pendingSince: ReadonlyMap<string, number>): Promise<void> {
    const fields: (string | number)[] = [AS_OF, Math.floor(asOfMs)];
    for (const [tenantId, ms] of pendingSince) fields.push(tenantId, Math.floor(ms));
    await this.redis.multi().del(this.sweepKey()).hset(this.sweepKey(), ...fields).exec();
  }

  /** The tenant's watermark (epoch ms), or null when nothing was published since Redis lost it. */
  async read(tenantId: string): Promise<number | null> {
    const [batch, swept, asOf] = await Promise.all([
      this.redis.get(this.tenantKey(tenantId)),
      this.redis.hget(this.sweepKey(), tenantId),
      this.redis.hget(this.sweepKey(), AS_OF),
    ]);
    const readings = [batch, swept ?? asOf].filter((v): v is string => v !== null).map(Number);
    return readings.length ? Math.max(...readings) : null;
  }

  private tenantKey(tenantId: string): string {
    return `${this.prefix}:handed-on:${tenantId}`;
  }

  private sweepKey(): string {
    return `${this.prefix}:handed-on-sweep`;
  }
}

/**
 * How long before a reading an event may have been received yet not be visible to it (its
 * ingest transaction still open), in ms: a reading with nothing pending vouches only for events
 * received this much before it.
 */
export const HANDED_ON_MARGIN_MS = 1_000;
