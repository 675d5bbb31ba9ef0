import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';

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

/**
 * Counts `count` events as processed by `stage` for `tenantId` in the current second: INCRBY on
 * the stage's bucket and on the stage+tenant bucket, each with a 2-minute TTL, in one pipelined
 * round trip. Call it once per batch a stage finishes, after its commit.
 */
export async function meterStage(redis: Redis, prefix: string, stage: PipelineStage, tenantId: string, count: number, now: number = Date.now()): Promise<void> {
  if (count <= 0) return;
  const second = Math.floor(now / 1000);
  const total = meterKey(prefix, stage, null, second);
  const tenant = meterKey(prefix, stage, tenantId, second);
  await redis.pipeline().incrby(total, count).expire(total, METER_BUCKET_TTL_SECONDS).incrby(tenant, count).expire(tenant, METER_BUCKET_TTL_SECONDS).exec();
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

/**
 * Meters a stage worker's completed jobs: `count(data)` events each, under the job's tenant. The
 * processor stays unaware of it; a failed meter write is logged, never fails the job (the figure is
 * a rate for `pipelineStatus`, not a record).
 */
export function meterCompletedJobs<T extends { tenantId: string }>(
  worker: Worker<T>,
  deps: { redis: Redis; config: { queuePrefix: string }; log: { warn(obj: object, msg: string): void } },
  stage: PipelineStage,
  count: (data: T) => number,
): void {
  worker.on('completed', (job) => {
    if (!job?.data || typeof job.data.tenantId !== 'string') return;
    meterStage(deps.redis, deps.config.queuePrefix, stage, job.data.tenantId, count(job.data)).catch((err) => deps.log.warn({ err, stage }, 'stage meter not updated'));
  });
}
