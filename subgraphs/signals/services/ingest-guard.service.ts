import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

import { AppError } from '../../common/errors';
import { GateFullError, KeyedConcurrencyGate } from '../../common/keyed-concurrency-gate';
import { SharedStageTracker } from '../../common/shared-stage';
import { fairShareFor, type Lane } from '../../common/fair-share';
import { RESOLVE_IDENTITY } from '../../common/queues';
import { REDIS_DOWN_RETRY_AFTER_SECONDS } from '../../common/redis';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { readStageRates } from '../../common/stage-meter';
import { admitByLag } from '../domain/pipeline/lag-admission';
import { InFlightEvents } from './in-flight-events.service';

/** Seconds a client is told to wait when the pipeline is backed up (the queue drains, not a window). */
const QUEUE_FULL_RETRY_AFTER_SECONDS = 5;
/** A tenant's requests that may wait for a slot in one process before it gets 429. */
const TENANT_MAX_WAITING_REQUESTS = 64;
/** Points of the shared per-tenant limiter per second (see the constructor). */
const TENANT_RATE_POINTS = 1_000_000;

/**
 * How long a tenant's in-flight count (and drain rate) read by one process is used before it is
 * read again, in ms: admission costs at most one Redis read per tenant and lane per this period,
 * however many requests arrive, and a tenant can overshoot its share by what it sends meanwhile.
 */
export const LAG_READ_TTL_MS = 250;

/** A tenant's ingestion limits: its `INGEST_TENANT_LIMITS` entry, else the defaults. */
export function tenantLimits(ingest: SubgraphDeps['config']['ingest'], tenantId: string): { ratePerSecond: number; maxBacklog: number; maxInFlight: number } {
  const own = Object.hasOwn(ingest.tenantLimits, tenantId) ? ingest.tenantLimits[tenantId] : undefined;
  return {
    ratePerSecond: own?.ratePerSecond ?? ingest.tenantRatePerSecond,
    maxBacklog: own?.maxBacklog ?? ingest.tenantMaxBacklog,
    maxInFlight: own?.maxInFlight ?? ingest.tenantMaxInFlight,
  };
}

/**
 * Points one request of `eventCount` events costs at the shared per-tenant limiter, for a tenant
 * allowed `ratePerSecond` events a second; a request larger than the whole budget takes all of it
 * rather than being refused forever.
 */
function tenantPoints(eventCount: number, ratePerSecond: number): number {
  const perEvent = TENANT_RATE_POINTS / ratePerSecond;
  return Math.max(1, Math.min(TENANT_RATE_POINTS, Math.ceil(eventCount * perEvent)));
}

/**
 * A rate limiter's rejection as the `RATE_LIMITED` answer with its `Retry-After`; anything else
 * (Redis failing) as it was thrown.
 */
function overRate(rejection: unknown, message: string): unknown {
  if (!(rejection instanceof RateLimiterRes)) return rejection;
  return new AppError('RATE_LIMITED', message, { retryAfterSeconds: Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)) });
}

/** A value read from Redis, shared by the requests of one period (`LAG_READ_TTL_MS`). */
interface CachedRead {
  value: Promise<number>;
  at: number;
}

/**
 * Admission control for ingestion, shared by the Segment HTTP API and `ingestEvents`: a per-key
 * and a per-tenant event rate (rate-limiter-flexible on Redis, so every signals instance counts
 * against one quota), a back-pressure check on the whole `resolve-identity` queue, and one on the
 * tenant's own share of it (its jobs still waiting in its lane, see `FairShare.backlog`), so a
 * tenant flooding the platform is slowed down before it fills the queue for everyone, and one on
 * its end-to-end lag (its events in the lane accepted but not yet acknowledged by risk, see
 * `InFlightEvents`), answered with the time its excess takes to drain at its current rate. Each
 * lane has its own lag: an import over its share never blocks the tenant's live traffic. Limits are
 * per tenant where `INGEST_TENANT_LIMITS` names the tenant. Refusals are `RATE_LIMITED` errors
 * carrying `retryAfterSeconds`, which the HTTP API turns into 429 + `Retry-After`.
 */
/**
 * A tenant's ingest requests worked on at once while another tenant is sending too. Measured
 * (`bench:fairness`): with one, a trickling tenant's p99 during another's flood fell from 28–34×
 * its idle p99 to 9–10× on both databases, and the flood drained no slower; a tenant alone keeps
 * `INGEST_TENANT_CONCURRENCY`, which PostgreSQL needs to accept a steady 200 events/s.
 */
export const SHARED_TENANT_CONCURRENCY = 1;

export class IngestGuard {
  private readonly limiter: RateLimiterRedis;
  /** Per tenant, points = events; each tenant's own quota is applied by consuming a scaled cost. */
  private readonly tenantLimiter: RateLimiterRedis;
  /** The queue-depth read in flight, shared by the requests that arrive meanwhile. */
  private waiting: Promise<number> | null = null;
  private readonly inFlight: InFlightEvents;
  /** A tenant's ingest requests worked on at once in this process (`INGEST_TENANT_CONCURRENCY`). */
  private readonly perTenant: KeyedConcurrencyGate;
  /** The tenants that sent requests to this process lately. */
  private readonly tenants = new SharedStageTracker();
  /** Per tenant and lane, the last in-flight read; per tenant, the last drain-rate read. */
  private readonly lagReads = new Map<string, CachedRead>();
  private readonly drainReads = new Map<string, CachedRead>();

  constructor(
    private readonly deps: Pick<SubgraphDeps, 'config' | 'redis' | 'queues'>,
    /** How long a lag read is used (`LAG_READ_TTL_MS`); tests that check each decision pass 0. */
    private readonly lagReadTtlMs: number = LAG_READ_TTL_MS,
  ) {
    const { rateLimitPerSecond } = deps.config.ingest;
    this.inFlight = new InFlightEvents(deps.redis, deps.config.queuePrefix);
    const alone = deps.config.ingest.tenantConcurrency;
    // one request at a time per tenant while another tenant sends too (see SHARED_TENANT_CONCURRENCY)
    this.perTenant = new KeyedConcurrencyGate(
      () => (alone > 0 && this.tenants.isShared(Date.now()) ? Math.min(alone, SHARED_TENANT_CONCURRENCY) : alone),
      TENANT_MAX_WAITING_REQUESTS,
    );
    // one limiter for every tenant: a tenant's quota q is applied by charging each event
    // TENANT_RATE_POINTS / q points against TENANT_RATE_POINTS per second
    this.tenantLimiter = new RateLimiterRedis({
      storeClient: deps.redis,
      keyPrefix: `${deps.config.queuePrefix}-rl-ingest-tenant`,
      points: TENANT_RATE_POINTS,
      duration: 1,
      insuranceLimiter: new RateLimiterMemory({ points: TENANT_RATE_POINTS, duration: 1 }),
    });
    this.limiter = new RateLimiterRedis({
      storeClient: deps.redis,
      keyPrefix: `${deps.config.queuePrefix}-rl-ingest`,
      points: rateLimitPerSecond,
      duration: 1,
      // while Redis is unreachable each instance limits on its own rather than failing requests
      insuranceLimiter: new RateLimiterMemory({ points: rateLimitPerSecond, duration: 1 }),
    });
  }

  /**
   * Admits `eventCount` events of one API key (of `tenant`, when given, in its lane), or throws
   * `RATE_LIMITED`. The checks that only read (queue depth, the tenant's backlog and lag) go to
   * Redis together, then the two rate limiters are charged together: two round trips whatever
   * the number of checks. Under load each round trip waits for a turn of the event loop the
   * process shares with its stage workers, so a request that asked one check after another
   * waited five turns. Charging both limiters at once means a request refused by one still spends
   * its points at the other: it sends again after `Retry-After`, and its key or tenant loses at
   * most one request's worth of its second.
   */
  async admit(keyId: string, eventCount: number, tenant?: { tenantId: string; lane: Lane }): Promise<void> {
    const { maxQueueDepth, rateLimitPerSecond } = this.deps.config.ingest;
    // every check below waits on Redis, which would hold the request until Redis is back: while
    // the connection is down the honest answer is an immediate "retry later"
    if (this.deps.redis.status !== 'ready') {
      throw new AppError('UNAVAILABLE', 'the queue (Redis) is unreachable: retry later', { retryAfterSeconds: REDIS_DOWN_RETRY_AFTER_SECONDS });
    }
    const limits = tenant ? tenantLimits(this.deps.config.ingest, tenant.tenantId) : null;
    const [waiting, tenantReads] = await Promise.all([
      this.waitingCount(),
      tenant && limits
        ? Promise.all([
            fairShareFor(this.deps).backlog(RESOLVE_IDENTITY, tenant.tenantId, tenant.lane),
            this.admitByLag(tenant.tenantId, tenant.lane, limits.maxInFlight).then(
              () => null,
              (refusal: unknown) => refusal,
            ),
          ])
        : null,
    ]);
    if (waiting > maxQueueDepth) {
      throw new AppError('RATE_LIMITED', `ingestion is backed up (${waiting} requests waiting): retry later`, {
        retryAfterSeconds: QUEUE_FULL_RETRY_AFTER_SECONDS,
      });
    }
    if (tenant && limits && tenantReads) {
      const [backlog, lagRefusal] = tenantReads;
      if (backlog > limits.maxBacklog) {
        throw new AppError('RATE_LIMITED', `tenant ${tenant.tenantId} has ${backlog} requests waiting (its share is ${limits.maxBacklog}): retry later`, {
          retryAfterSeconds: QUEUE_FULL_RETRY_AFTER_SECONDS,
        });
      }
      if (lagRefusal !== null) throw lagRefusal;
    }
    // a request larger than the whole budget takes all of it rather than being refused forever
    const keyPoints = Math.max(1, Math.min(eventCount, rateLimitPerSecond));
    const [tenantCharge, keyCharge] = await Promise.allSettled([
      tenant && limits ? this.tenantLimiter.consume(tenant.tenantId, tenantPoints(eventCount, limits.ratePerSecond)) : Promise.resolve(null),
      this.limiter.consume(keyId, keyPoints),
    ]);
    if (tenantCharge.status === 'rejected') throw overRate(tenantCharge.reason, `over ${limits!.ratePerSecond} events per second for tenant ${tenant!.tenantId}`);
    if (keyCharge.status === 'rejected') throw overRate(keyCharge.reason, `over ${rateLimitPerSecond} events per second for this key`);
  }

  /**
   * Runs an admitted request's work once its tenant has a free slot in this process (see
   * `KeyedConcurrencyGate`): a tenant's requests beyond `INGEST_TENANT_CONCURRENCY`, or beyond
   * `SHARED_TENANT_CONCURRENCY` while another tenant has sent requests here within the last 5 s,
   * wait their turn in order; past `TENANT_MAX_WAITING_REQUESTS` waiting, `RATE_LIMITED` at once.
   */
  async inTurn<T>(tenantId: string, work: () => Promise<T>): Promise<T> {
    this.tenants.saw(tenantId, Date.now());
    try {
      return await this.perTenant.run(tenantId, work);
    } catch (err) {
      if (!(err instanceof GateFullError)) throw err;
      throw new AppError('RATE_LIMITED', `tenant ${tenantId} already has ${err.waiting} requests waiting in this process: retry later`, { retryAfterSeconds: 1 });
    }
  }

  /**
   * The tenant's events in flight in `lane` against its share. The count comes from one HGET per
   * tenant and lane per `LAG_READ_TTL_MS` (no SQL), shared by the requests meanwhile; a refusal also reads the tenant's drain rate
   * (the risk stage's meter, as cached) for its `Retry-After`.
   */
  private async admitByLag(tenantId: string, lane: Lane, maxInFlight: number): Promise<void> {
    const inFlight = await this.cached(this.lagReads, `${tenantId}\u0000${lane}`, () => this.inFlight.read(tenantId, lane));
    if (inFlight <= maxInFlight) return;
    const drain = await this.cached(this.drainReads, tenantId, async () => {
      const [perSecond] = await readStageRates(this.deps.redis, this.deps.config.queuePrefix, [{ stage: 'risk', tenantId }]);
      return perSecond;
    });
    const refusal = admitByLag({ inFlight, maxInFlight }, drain);
    if (!refusal) return;
    throw new AppError(
      'RATE_LIMITED',
      `tenant ${tenantId} has ${inFlight} ${lane} events not yet scored (its share is ${maxInFlight}): retry in ${refusal.retryAfterSeconds} s`,
      { retryAfterSeconds: refusal.retryAfterSeconds },
    );
  }

  /** `read()` at most once per `lagReadTtlMs` per key (requests meanwhile share it); a failed read is not kept. */
  private cached(reads: Map<string, CachedRead>, key: string, read: () => Promise<number>): Promise<number> {
    const now = Date.now();
    const known = reads.get(key);
    if (known && now - known.at < this.lagReadTtlMs) return known.value;
    const value = read();
    reads.set(key, { value, at: now });
    value.catch(() => reads.delete(key));
    return value;
  }

  /**
   * Resolve jobs waiting to be taken (every stage job carries a fair-share priority, so they wait
   * as `prioritized`; `wait` holds any queued without one). Requests that arrive while a read is
   * in flight share it rather than each asking Redis: under load that is one read per round trip,
   * not one per request, and a lone request still reads a fresh count.
   */
  private waitingCount(): Promise<number> {
    this.waiting ??= this.deps.queues
      .get(RESOLVE_IDENTITY)
      .getJobCountByTypes('waiting', 'prioritized')
      .finally(() => (this.waiting = null));
    return this.waiting;
  }
}

const guards = new WeakMap<SubgraphDeps, IngestGuard>();

/** One guard per process: the limiter registers its Lua script on the Redis connection once. */
export function ingestGuardFor(deps: SubgraphDeps): IngestGuard {
  let guard = guards.get(deps);
  if (!guard) guards.set(deps, (guard = new IngestGuard(deps)));
  return guard;
}
