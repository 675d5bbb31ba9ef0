import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';

import { queuePrefix } from './queues';

/**
 * A lane of work: `live` traffic is always served before `history` (an import of past events), so
 * a backfill never delays what partners are watching live.
 */
export type Lane = 'live' | 'history';

/** Priorities of one lane span this many values (BullMQ allows 1 … 2^21 − 1). */
export const LANE_SPAN = 2 ** 20;
/**
 * A lane's virtual clock is set back to zero when the lane has nothing waiting and its clock has
 * passed this value, so priorities never reach the lane's end in practice (2^19 jobs between two
 * idle moments of a lane; past the end they are clamped and FIFO order across tenants returns).
 */
const REBASE_AFTER = 2 ** 19;

/**
 * Start-time fair queueing (Goyal et al. 1996) on a shared BullMQ queue, built from BullMQ's own
 * job priorities: every tenant has a virtual finish time per lane; a new job of a tenant gets the
 * priority `max(tenant's last, virtual clock) + 1`, where the virtual clock is the priority of
 * the job at the head of the lane (the next one a worker takes). A tenant that queued 10,000 jobs
 * holds priorities clock+1 … clock+10,000; another tenant's job gets clock+1 and so runs next,
 * after at most one job of each tenant ahead of it. Priorities of one tenant only grow, so its
 * jobs keep their order (order per customer holds, since a customer belongs to one tenant).
 * One Redis script call per enqueue (for any number of jobs of one tenant), atomic, so any number
 * of producer processes share one schedule.
 *
 * KEYS[1]: the queue's `prioritized` sorted set (BullMQ scores it priority · 2^32 + counter).
 * KEYS[2]: this lane's hash: field `~clock`, and one field per tenant (its last priority).
 * ARGV: tenant, job count, the lane's lowest and highest priority, rebase threshold.
 * Returns the first priority given (the others follow it by one each, clamped to the lane).
 */
const ASSIGN_SCRIPT = `
local base = tonumber(ARGV[3])
local top = tonumber(ARGV[4])
local head = redis.call('ZRANGEBYSCORE', KEYS[1], base * 4294967296, (top + 1) * 4294967296 - 1, 'WITHSCORES', 'LIMIT', 0, 1)
local clock
if head[2] then
  -- a new tenant's job ties with the head: it runs right after the jobs already at that priority
  clock = math.floor(tonumber(head[2]) / 4294967296) - base
  redis.call('HSET', KEYS[2], '~clock', clock)
else
  clock = tonumber(redis.call('HGET', KEYS[2], '~clock') or '0')
  if clock > tonumber(ARGV[5]) then
    redis.call('DEL', KEYS[2])
    clock = 0
  else
    -- nothing waits: every job handed out so far has been taken, so virtual time has reached this
    -- tenant's last too. Without this, a tenant that kept using an idle platform would carry its
    -- past jobs as a debt behind a newcomer's flood.
    local own = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
    if own > clock then
      clock = own
      redis.call('HSET', KEYS[2], '~clock', clock)
    end
  end
end
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if last < clock then last = clock end
local count = tonumber(ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], last + count)
return last + 1
`;

/** How far a tenant is ahead of the lane's clock: its jobs still waiting in the lane, at most. */
const BACKLOG_SCRIPT = `
local base = tonumber(ARGV[2])
local top = tonumber(ARGV[3])
local head = redis.call('ZRANGEBYSCORE', KEYS[1], base * 4294967296, (top + 1) * 4294967296 - 1, 'WITHSCORES', 'LIMIT', 0, 1)
if not head[2] then return 0 end
local clock = math.floor(tonumber(head[2]) / 4294967296) - base
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if last <= clock then return 0 end
return last - clock
`;

interface FairShareRedis extends Redis {
  fairShareAssign(prioritized: string, lane: string, tenantId: string, count: number, base: number, top: number, rebase: number): Promise<number>;
  fairShareBacklog(prioritized: string, lane: string, tenantId: string, base: number, top: number): Promise<number>;
}

function withScripts(redis: Redis): FairShareRedis {
  const r = redis as FairShareRedis;
  if (typeof r.fairShareAssign !== 'function') {
    redis.defineCommand('fairShareAssign', { numberOfKeys: 2, lua: ASSIGN_SCRIPT });
    redis.defineCommand('fairShareBacklog', { numberOfKeys: 2, lua: BACKLOG_SCRIPT });
  }
  return r;
}

/** The BullMQ priorities of a lane: live 1 … 2^20 − 1, history 2^20 … 2^21 − 1. */
export function laneRange(lane: Lane): { base: number; top: number } {
  return lane === 'live' ? { base: 1, top: LANE_SPAN - 1 } : { base: LANE_SPAN, top: 2 * LANE_SPAN - 1 };
}

/**
 * BullMQ priorities for `count` jobs of one tenant, in the order they are given to `queue.add`,
 * from the first virtual time the script handed out (1-based within the lane); each is clamped to
 * the lane's range.
 */
export function spreadPriorities(first: number, count: number, lane: Lane): number[] {
  const { base, top } = laneRange(lane);
  return Array.from({ length: count }, (_, i) => Math.min(base + first - 1 + i, top));
}

/**
 * Fair shares of the stage queues between tenants (see `ASSIGN_SCRIPT`). Producers ask for
 * priorities when they enqueue; workers need nothing. The schedule lives in Redis beside the
 * queue (hash-tagged with it, so it stays on one Redis Cluster slot): a Redis flush loses it with
 * the jobs, and the sweepers that re-queue work from SQL start a fresh schedule.
 */
export class FairShare {
  private readonly redis: FairShareRedis;
  private readonly prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.redis = withScripts(redis);
    this.prefix = queuePrefix(prefix);
  }

  /** BullMQ priorities for the next `count` jobs of `tenantId` on `queue`, in enqueue order. */
  async priorities(queue: string, tenantId: string, count: number, lane: Lane = 'live'): Promise<number[]> {
    if (count <= 0) return [];
    const { base, top } = laneRange(lane);
    const first = await this.redis.fairShareAssign(this.prioritizedKey(queue), this.laneKey(queue, lane), tenantId, count, base, top, REBASE_AFTER);
    return spreadPriorities(Number(first), count, lane);
  }

  /** The tenant's jobs waiting in the lane, at most (its lead over the lane's clock). */
  async backlog(queue: string, tenantId: string, lane: Lane = 'live'): Promise<number> {
    const { base, top } = laneRange(lane);
    return Number(await this.redis.fairShareBacklog(this.prioritizedKey(queue), this.laneKey(queue, lane), tenantId, base, top));
  }

  private prioritizedKey(queue: string): string {
    return `${this.prefix}:${queue}:prioritized`;
  }

  private laneKey(queue: string, lane: Lane): string {
    return `${this.prefix}:${queue}:fair-${lane}`;
  }
}

/** A job for `addFairly`: BullMQ's `addBulk` shape, its priority left to the schedule. */
export interface FairJob<T> {
  name: string;
  data: T;
  opts: Omit<JobsOptions, 'priority'>;
}

/**
 * Adds jobs of one or more tenants to a stage queue with their fair priorities (`FairShare`): one
 * script call per tenant, then one `add` (a lone job spares `addBulk`'s MULTI/EXEC) or `addBulk`.
 * Jobs keep their order within a tenant.
 */
export async function addFairly<T>(
  /** A stage queue (`Queues.get`); its payload type may be a union that includes `T`. */
  queue: Pick<Queue, 'name' | 'add' | 'addBulk'>,
  fair: FairShare,
  jobs: readonly FairJob<T>[],
  tenantOf: (data: T) => string,
  lane: Lane = 'live',
): Promise<void> {
  if (jobs.length === 0) return;
  const byTenant = new Map<string, FairJob<T>[]>();
  for (const job of jobs) {
    const tenantId = tenantOf(job.data);
    const list = byTenant.get(tenantId);
    if (list) list.push(job);
    else byTenant.set(tenantId, [job]);
  }
  const prioritized: { name: string; data: T; opts: JobsOptions }[] = [];
  for (const [tenantId, list] of byTenant) {
    const priorities = await fair.priorities(queue.name, tenantId, list.length, lane);
    list.forEach((job, i) => prioritized.push({ ...job, opts: { ...job.opts, priority: priorities[i] } }));
  }
  if (prioritized.length === 1) await queue.add(prioritized[0].name, prioritized[0].data, prioritized[0].opts);
  else await queue.addBulk(prioritized);
}

const shares = new WeakMap<Redis, FairShare>();

/** One `FairShare` per Redis connection (its scripts are defined on the connection once). */
export function fairShareFor(deps: { redis: Redis; config: { queuePrefix: string } }): FairShare {
  let fair = shares.get(deps.redis);
  if (!fair) shares.set(deps.redis, (fair = new FairShare(deps.redis, deps.config.queuePrefix)));
  return fair;
}
