import type { Job, Worker } from 'bullmq';
import type { ChainableCommander, Redis } from 'ioredis';

import { LATENCY_BUCKET_COUNT, latencyBucketOf, latencyPercentile, mergeLatencyCounts } from './math/latency-histogram';
import type { PipelineStage } from './pipeline-stages';
import { queuePrefix } from './queues';

/** Seconds a per-second bucket lives: the 60-second window plus slack for clock skew between processes. */
export const METER_BUCKET_TTL_SECONDS = 120;
/** The window `readStageRates` averages over, in seconds. */
export const METER_WINDOW_SECONDS = 60;

/**
 * Redis key of one per-second bucket: per stage, or per stage and tenant. Hash-tagged with the
 * queue prefix (`{prefix}`), so a stage's keys share the slot of its queues on Redis Cluster.
 */
export function meterKey(prefix: string, stage: PipelineStage, tenantId: string | null, second: number): string {
  return tenantId === null ? `${queuePrefix(prefix)}:meter:${stage}:${second}` : `${queuePrefix(prefix)}:meter:${stage}:t:${tenantId}:${second}`;
}

/** What to read: a stage overall (`tenantId` null) or one tenant's share of it. */
export interface MeterSeries {
  stage: PipelineStage;
  tenantId: string | null;
}

/**
 * Events per second of each series over the last `METER_WINDOW_SECONDS` (the current second
 * included): the sum of its last 60 buckets over 60. One round trip (an MGET per series, pipelined).
 */
export async function readStageRates(redis: Redis, prefix: string, series: readonly MeterSeries[], now: number = Date.now()): Promise<number[]> {
  if (series.length === 0) return [];
  const last = Math.floor(now / 1000);
  const pipeline = redis.pipeline();
  for (const { stage, tenantId } of series) {
    pipeline.mget(Array.from({ length: METER_WINDOW_SECONDS }, (_, i) => meterKey(prefix, stage, tenantId, last - i)));
  }
  const replies = (await pipeline.exec()) ?? [];
  return replies.map(([err, values]) => {
    if (err) throw err;
    const sum = (values as (string | null)[]).reduce((acc, v) => acc + (v === null ? 0 : Number(v)), 0);
    return sum / METER_WINDOW_SECONDS;
  });
}

/** What a timing histogram counts: the time jobs `wait`ed in the queue, or the time they `run`. */
export type TimingKind = 'wait' | 'run';

/**
 * Redis key of one per-second timing histogram (a hash: bucket index → jobs, see
 * `latency-histogram.ts`), per stage or per stage and tenant, beside the rate buckets.
 */
export function timingKey(prefix: string, kind: TimingKind, stage: PipelineStage, tenantId: string | null, second: number): string {
  return tenantId === null ? `${queuePrefix(prefix)}:timing:${kind}:${stage}:${second}` : `${queuePrefix(prefix)}:timing:${kind}:${stage}:t:${tenantId}:${second}`;
}

/** One job a stage finished: whose, how many events, how long it waited and ran (ms; null when unknown). */
export interface FinishedJob {
  tenantId: string;
  events: number;
  waitMs: number | null;
  runMs: number | null;
}

/**
 * How long a BullMQ job waited before a worker took it (`processedOn` less its creation
 * `timestamp` and any delay it was given) and how long it then ran (`finishedOn`, else `now`, less
 * `processedOn`). A job taken by `takeWaitingJobs` has its `processedOn` from the moment it was
 * taken. A retried job's wait includes its earlier attempts and backoff: what its events waited.
 */
export function timingOf(job: Pick<Job, 'timestamp' | 'processedOn' | 'finishedOn' | 'delay'>, now: number = Date.now()): { waitMs: number | null; runMs: number | null } {
  const started = job.processedOn ?? null;
  if (started === null || !job.timestamp) return { waitMs: null, runMs: null };
  return { waitMs: Math.max(0, started - job.timestamp - (job.delay ?? 0)), runMs: Math.max(0, (job.finishedOn ?? now) - started) };
}

/**
 * Meters the jobs a stage finished, in one pipelined round trip: their events (the per-second rate buckets
 * `readStageRates` sums) and their wait and run times (one HINCRBY per timing bucket touched, on the
 * stage's and on each tenant's histogram of the current second, each with the meter's TTL). Call
 * it once per job or pass, not per event.
 */
export async function meterFinishedJobs(redis: Redis, prefix: string, stage: PipelineStage, jobs: readonly FinishedJob[], now: number = Date.now()): Promise<void> {
  if (jobs.length === 0) return;
  await writeMeters(redis, prefix, [{ stage, jobs, now }]);
}

/** The meter writes of `batches` in one pipelined round trip; throws the first error. */
async function writeMeters(redis: Redis, prefix: string, batches: readonly MeteredBatch[]): Promise<void> {
  const pipeline = redis.pipeline();
  appendMeterWrites(pipeline, prefix, batches);
  const replies = (await pipeline.exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
}

/** Jobs a stage finished at `now` (ms), as `meterFinishedJobs` takes them. */
interface MeteredBatch {
  stage: PipelineStage;
  jobs: readonly FinishedJob[];
  now: number;
}

/**
 * Adds the meter writes of `batches` to `pipeline`: per key (rate bucket, or timing histogram and
 * bucket index) one INCRBY / HINCRBY with the counts summed over the batches, and one EXPIRE.
 */
function appendMeterWrites(pipeline: ChainableCommander, prefix: string, batches: readonly MeteredBatch[]): void {
  const counts = new Map<string, number>();
  const histograms = new Map<string, Map<number, number>>();
  const bump = (key: string, bucket: number) => {
    const hist = histograms.get(key) ?? new Map<number, number>();
    hist.set(bucket, (hist.get(bucket) ?? 0) + 1);
    histograms.set(key, hist);
  };
  for (const { stage, jobs, now } of batches) {
    const second = Math.floor(now / 1000);
    for (const job of jobs) {
      if (job.events > 0) {
        for (const key of [meterKey(prefix, stage, null, second), meterKey(prefix, stage, job.tenantId, second)]) counts.set(key, (counts.get(key) ?? 0) + job.events);
      }
      for (const [kind, ms] of [['wait', job.waitMs], ['run', job.runMs]] as const) {
        if (ms === null || !Number.isFinite(ms)) continue;
        const bucket = latencyBucketOf(ms);
        bump(timingKey(prefix, kind, stage, null, second), bucket);
        bump(timingKey(prefix, kind, stage, job.tenantId, second), bucket);
      }
    }
  }
  for (const [key, count] of counts) pipeline.incrby(key, count).expire(key, METER_BUCKET_TTL_SECONDS);
  for (const [key, hist] of histograms) {
    for (const [bucket, count] of hist) pipeline.hincrby(key, String(bucket), count);
    pipeline.expire(key, METER_BUCKET_TTL_SECONDS);
  }
}

/** How often a process writes the meters its workers gathered (ms). */
export const METER_FLUSH_MS = 500;

/**
 * The meters of one process's stage workers, gathered and written every `METER_FLUSH_MS` in one
 * pipelined round trip, each job still in the bucket of the second it finished. Written per job,
 * as it was, every job of a trickle cost a round trip of a dozen commands in every stage process;
 * gathered, a busy second costs two. The figures are for `pipelineStatus` and the benchmarks, not
 * a record: what a process dies with (at most one flush period) is not counted, and a failed write
 * is logged and dropped.
 */
class MeterBuffer {
  private readonly pending: MeteredBatch[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  add(batch: MeteredBatch): void {
    if (batch.jobs.length === 0) return;
    this.pending.push(batch);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), METER_FLUSH_MS);
      this.timer.unref();
    }
  }

  private async flush(): Promise<void> {
    this.timer = null;
    const batches = this.pending.splice(0);
    if (batches.length === 0 || this.redis.status === 'end') return;
    try {
      await writeMeters(this.redis, this.prefix, batches);
    } catch (err) {
      this.log.warn({ err, stages: [...new Set(batches.map((b) => b.stage))] }, 'stage meter not updated');
    }
  }
}

/** One buffer per connection and prefix (a process has one of each, tests several). */
const meterBuffers = new WeakMap<Redis, Map<string, MeterBuffer>>();

function meterBufferOf(deps: { redis: Redis; config: { queuePrefix: string }; log: { warn(obj: object, msg: string): void } }): MeterBuffer {
  const byPrefix = meterBuffers.get(deps.redis) ?? new Map<string, MeterBuffer>();
  meterBuffers.set(deps.redis, byPrefix);
  let buffer = byPrefix.get(deps.config.queuePrefix);
  if (!buffer) {
    buffer = new MeterBuffer(deps.redis, deps.config.queuePrefix, deps.log);
    byPrefix.set(deps.config.queuePrefix, buffer);
  }
  return buffer;
}

/** A stage's wait and run times over the last minute: p50 and p99 in ms (null when no job finished), and the jobs counted. */
export interface StageTimings {
  waitP50Ms: number | null;
  waitP99Ms: number | null;
  runP50Ms: number | null;
  runP99Ms: number | null;
  jobs: number;
}

/**
 * Wait and run percentiles of each series over the last `windowSeconds` (default
 * `METER_WINDOW_SECONDS`, at most the buckets' TTL; the current second included), from the sum of
 * its per-second histograms. One round trip (an HGETALL per second, kind and series, pipelined);
 * for `pipelineStatus` and the benchmarks, not a hot path.
 */
export async function readStageTimings(
  redis: Redis,
  prefix: string,
  series: readonly MeterSeries[],
  now: number = Date.now(),
  windowSeconds: number = METER_WINDOW_SECONDS,
): Promise<StageTimings[]> {
  if (series.length === 0) return [];
  const window = Math.max(1, Math.min(METER_BUCKET_TTL_SECONDS, Math.ceil(windowSeconds)));
  const last = Math.floor(now / 1000);
  const pipeline = redis.pipeline();
  for (const { stage, tenantId } of series) {
    for (const kind of ['wait', 'run'] as const) {
      for (let i = 0; i < window; i++) pipeline.hgetall(timingKey(prefix, kind, stage, tenantId, last - i));
    }
  }
  const replies = (await pipeline.exec()) ?? [];
  const histogramAt = (offset: number): number[] => {
    const seconds: number[][] = [];
    for (let i = 0; i < window; i++) {
      const [err, hash] = replies[offset + i];
      if (err) throw err;
      const counts = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
      for (const [bucket, count] of Object.entries(hash as Record<string, string>)) {
        const index = Number(bucket);
        if (Number.isInteger(index) && index >= 0 && index < LATENCY_BUCKET_COUNT) counts[index] += Number(count) || 0;
      }
      seconds.push(counts);
    }
    return mergeLatencyCounts(seconds);
  };
  return series.map((_, s) => {
    const wait = histogramAt(s * 2 * window);
    const run = histogramAt((s * 2 + 1) * window);
    return {
      waitP50Ms: latencyPercentile(wait, 0.5),
      waitP99Ms: latencyPercentile(wait, 0.99),
      runP50Ms: latencyPercentile(run, 0.5),
      runP99Ms: latencyPercentile(run, 0.99),
      jobs: wait.reduce((acc, c) => acc + c, 0),
    };
  });
}

/**
 * Meters the jobs a coalesced pass completed by hand (they emit no 'completed' event): their
 * events, and their wait (until `takeWaitingJobs` took them) and run times, gathered with the
 * process's other meters and written within `METER_FLUSH_MS`. A failed meter write is logged,
 * never fails the pass.
 */
export async function meterTakenJobs<T extends { tenantId: string }>(
  deps: { redis: Redis; config: { queuePrefix: string }; log: { warn(obj: object, msg: string): void } },
  stage: PipelineStage,
  jobs: readonly Job<T>[],
  count: (data: T) => number,
): Promise<void> {
  const now = Date.now();
  meterBufferOf(deps).add({ stage, jobs: jobs.map((job) => ({ tenantId: job.data.tenantId, events: count(job.data), ...timingOf(job, now) })), now });
}

/**
 * Meters a stage worker's completed jobs: `count(data)` events each, under the job's tenant, with
 * how long each waited in the queue and ran, written within `METER_FLUSH_MS`. The processor stays unaware of it; a failed meter
 * write is logged, never fails the job (the figures are for `pipelineStatus`, not a record).
 */
export function meterCompletedJobs<T extends { tenantId: string }>(
  worker: Worker<T>,
  deps: { redis: Redis; config: { queuePrefix: string }; log: { warn(obj: object, msg: string): void } },
  stage: PipelineStage,
  count: (data: T) => number,
): void {
  worker.on('completed', (job) => {
    if (!job?.data || typeof job.data.tenantId !== 'string') return;
    const now = Date.now();
    meterBufferOf(deps).add({ stage, jobs: [{ tenantId: job.data.tenantId, events: count(job.data), ...timingOf(job, now) }], now });
  });
}
