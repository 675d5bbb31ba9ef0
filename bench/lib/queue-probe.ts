// How far behind the stages are, read from Redis without knowing which queues exist: the queues are
// found by their BullMQ `meta` keys under the run's own prefix, so the probe keeps working whatever
// hops the stages add or remove.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

import { queuePrefix } from '../../subgraphs/common/queues';

/** How long `sample` trusts the list of queues it found, ms. */
const REDISCOVER_MS = 5000;

/** Jobs of one queue that are still work to do. */
export interface QueueBacklog {
  /** Waiting, prioritized and active jobs. */
  pending: number;
  /** Delayed jobs that are work (debounced or backing off), job schedulers' next runs apart. */
  delayed: number;
}

/** One look at every queue of the run. */
export interface BacklogSample {
  /** Seconds since the phase started. */
  s: number;
  queues: Record<string, QueueBacklog>;
  total: number;
}

/** Reads the backlog of every BullMQ queue under one prefix (SCAN for `<prefix>:*:meta`, then job counts). */
export class QueueProbe {
  private readonly redis: Redis;
  private readonly open = new Map<string, Queue>();
  private readonly bullPrefix: string;
  private discoveredAt = -Infinity;

  constructor(redisUrl: string, prefix: string) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    this.redis.on('error', () => undefined);
    this.bullPrefix = queuePrefix(prefix);
  }

  /** Names of the queues that exist so far (a queue appears once something has used it). */
  async discover(): Promise<string[]> {
    const names = new Set<string>();
    let cursor = '0';
    let rounds = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.bullPrefix}:*:meta`, 'COUNT', 1000);
      for (const key of keys) names.add(key.slice(this.bullPrefix.length + 1, -':meta'.length));
      cursor = next;
    } while (cursor !== '0' && ++rounds < 10_000);
    this.discoveredAt = performance.now();
    for (const name of names) {
      if (!this.open.has(name)) this.open.set(name, new Queue(name, { connection: this.redis, prefix: this.bullPrefix }));
    }
    return [...names].sort();
  }

  /**
   * The backlog of every queue known. The SCAN for new queues walks every key of the shared Redis
   * (the jobs of a drain are many), so it is repeated at most every REDISCOVER_MS unless `fresh`.
   */
  async sample(since: number, fresh = false): Promise<BacklogSample> {
    if (fresh || performance.now() - this.discoveredAt > REDISCOVER_MS) await this.discover();
    const queues: Record<string, QueueBacklog> = {};
    let total = 0;
    for (const [name, queue] of [...this.open.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      const [c, schedulers] = await Promise.all([queue.getJobCounts('waiting', 'active', 'prioritized', 'delayed'), queue.getJobSchedulersCount()]);
      const backlog = { pending: c.waiting + c.active + c.prioritized, delayed: Math.max(0, c.delayed - schedulers) };
      queues[name] = backlog;
      total += backlog.pending + backlog.delayed;
    }
    return { s: Math.round((performance.now() - since) / 100) / 10, queues, total };
  }

  /**
   * Waits until every queue is empty twice in a row 0.5 s apart, at most `timeoutMs`; each reading
   * also goes to `note`. `drainedSeconds` is since `since` (performance.now()), null when the
   * queues did not empty in time; `last` is the last reading.
   */
  async waitEmpty(since: number, timeoutMs: number, note: (s: BacklogSample) => BacklogSample = (s) => s): Promise<{ last: BacklogSample; drainedSeconds: number | null }> {
    const until = performance.now() + timeoutMs;
    let empty = 0;
    let last = note(await this.sample(since));
    while (performance.now() < until) {
      // an empty reading is confirmed with a fresh look for queues that appeared since the last one
      if (last.total === 0) last = note(await this.sample(since, true));
      empty = last.total === 0 ? empty + 1 : 0;
      if (empty >= 2) return { last, drainedSeconds: (performance.now() - since) / 1000 };
      await new Promise((r) => setTimeout(r, 500));
      last = note(await this.sample(since));
    }
    return { last, drainedSeconds: null };
  }

  /**
   * Completed and failed jobs each queue still holds (discovers again first). BullMQ keeps only
   * the newest completed jobs (`removeOnComplete`, 10,000 per queue in queues.ts), so a delta
   * between two readings is a lower bound once a queue has reached its cap.
   */
  async finished(): Promise<Record<string, number>> {
    await this.discover();
    const out: Record<string, number> = {};
    for (const [name, queue] of this.open) {
      const c = await queue.getJobCounts('completed', 'failed');
      out[name] = c.completed + c.failed;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all([...this.open.values()].map((q) => q.close().catch(() => undefined)));
    this.open.clear();
    this.redis.disconnect();
  }
}
