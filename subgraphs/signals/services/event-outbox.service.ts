import { chunks } from '../../common/chunks';
import { addFairly, fairShareFor, type Lane } from '../../common/fair-share';
import type { EntityManager } from '../../common/orm';
import { EVENT_RESOLVED, RESOLVE_IDENTITY, STAGE_BATCH_MAX, type EventsResolvedBatch } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { toResolveIdentityJobs, type StoredResolvableEvent } from '../domain/events/resolve-identity-job';
import { Event } from '../entities/event.entity';

/** A stored event on its way to the profiles stage. */
export type OutboxEvent = StoredResolvableEvent;

/** Rows per sweeper page, and pages per sweep (per tenant, for the hand-off sweep): at most 10,000 events each. */
const SWEEP_PAGE_SIZE = 500;
const SWEEP_MAX_PAGES = 20;
/** Ids per UPDATE, well under SQLite's and PostgreSQL's bound-parameter limits. */
const UPDATE_CHUNK = 1000;

/**
 * The events table as an outbox: queues `resolve-identity` jobs for stored events (one per tenant
 * and up to `RESOLVE_BATCH_MAX` events, see `toResolveIdentityJobs`) and stamps `enqueuedAt`, and
 * sweeps up events whose job was lost. Job ids are deterministic (tenant, first and last event),
 * so queueing the same events twice never runs them twice while their job exists; and resolving
 * an event twice changes nothing in effect (the profiles stage records each event once).
 */
export class EventOutbox {
  constructor(
    private readonly em: EntityManager,
    private readonly deps: Pick<SubgraphDeps, 'queues' | 'config' | 'redis'>,
  ) {}

  /**
   * One `addBulk` of their jobs, then one UPDATE of their `enqueuedAt` — unless the rows were
   * inserted already stamped (`stamped`, ingestion's path), which saves that UPDATE; if the
   * enqueue then fails, the stamp is cleared so the next sweep queues them. `lane: 'history'`
   * puts the jobs behind every live job (an import; see `FairShare`).
   */
  async enqueue(events: readonly OutboxEvent[], { stamped = false, lane = 'live' as Lane } = {}): Promise<void> {
    if (events.length === 0) return;
    if (stamped) {
      try {
        await this.addJobs(events, lane);
      } catch (err) {
        await this.stamp(events, null);
        throw err;
      }
      return;
    }
    await this.addJobs(events, lane);
    await this.stamp(events, new Date());
  }

  /** The events' jobs, each tenant's with its fair priorities (see `FairShare`). */
  private async addJobs(events: readonly OutboxEvent[], lane: Lane): Promise<void> {
    const jobs = toResolveIdentityJobs(events).map(({ data, jobId }) => ({
      name: RESOLVE_IDENTITY,
      data: lane === 'history' ? { ...data, lane } : data,
      opts: { jobId },
    }));
    await addFairly(this.deps.queues.get(RESOLVE_IDENTITY), fairShareFor(this.deps), jobs, (d) => d.tenantId, lane);
  }

  /**
   * A job id already in Redis makes `add` a no-op: a resolve job that failed for good (its tries
   * ran out while the database was down) or completed while its events' later hand-off was lost
   * would keep the sweeper's re-queue from ever running. Such a job is retried instead. Sweeps
   * only (a few jobs per page), never on the ingest path.
   */
  private async reviveFinished(events: readonly OutboxEvent[]): Promise<void> {
    const queue = this.deps.queues.get(RESOLVE_IDENTITY);
    for (const { jobId } of toResolveIdentityJobs(events)) {
      const job = await queue.getJob(jobId);
      const state = job ? await job.getState() : null;
      if (state === 'failed' || state === 'completed') await job!.retry(state);
    }
  }

  private async stamp(events: readonly OutboxEvent[], enqueuedAt: Date | null): Promise<void> {
    for (let i = 0; i < events.length; i += UPDATE_CHUNK) {
      const ids = events.slice(i, i + UPDATE_CHUNK).map((e) => e.id);
      await this.em.nativeUpdate(Event, { id: { $in: ids } }, { enqueuedAt });
    }
  }

  /**
   * Queues again every unprocessed event that was never queued or was queued more than the grace
   * period ago (its job may have been lost with a Redis flush or a crash), oldest first, in
   * bounded pages. Returns how many events it queued. A page queues the same job ids as a
   * previous sweep of the same events (a no-op while those jobs exist); an event whose job is
   * still waiting but lands in a differently composed page is queued twice, and its second run
   * is a replay that changes nothing.
   */
  async sweep(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.deps.config.ingest.sweepGraceMs);
    let total = 0;
    for (let page = 0; page < SWEEP_MAX_PAGES; page++) {
      // each page stamps enqueuedAt past the cutoff, so the next query finds the following rows
      const rows = await this.em.find(
        Event,
        { processedAt: null, $or: [{ enqueuedAt: null }, { enqueuedAt: { $lt: cutoff } }] },
        { orderBy: { id: 'asc' }, limit: SWEEP_PAGE_SIZE },
      );
      await this.enqueue(rows);
      await this.reviveFinished(rows);
      this.em.clear();
      total += rows.length;
      if (rows.length < SWEEP_PAGE_SIZE) break;
    }
    return total;
  }

  /**
   * Re-drives the hand-offs that never completed: events the signals stage took over (processed)
   * that risk has not acknowledged (`activity-recorded`) within the grace period: their batch died
   * before its `record-activity` job was queued, or the job was lost (a Redis flush) before risk
   * stored it. Risk stores insert-or-ignore, so re-sending a batch it did store is harmless. Queues them again as `event-resolved` batches (per tenant, in id order, at most
   * `STAGE_BATCH_MAX` events each; job id `<tenantId>-swept<period>-<first>-<last>`, one per grace
   * period, so a sweep repeated inside one period queues nothing new while a later one tries
   * again). Per tenant (one read of the tenants with such events, then the tenant's pages), at
   * most `SWEEP_MAX_PAGES` bounded pages a tenant; returns how many events it queued.
   */
  async sweepHandOffs(now = new Date()): Promise<number> {
    const grace = this.deps.config.ingest.sweepGraceMs;
    const cutoff = new Date(now.getTime() - grace);
    const period = grace > 0 ? Math.floor(now.getTime() / grace) : now.getTime();
    const repo = this.em.getRepository(Event);
    let total = 0;
    for (const tenantId of await repo.tenantsWithPendingHandOff(cutoff)) {
      let after: string | null = null;
      for (let page = 0; page < SWEEP_MAX_PAGES; page++) {
        const rows = await repo.pendingHandOff(tenantId, cutoff, after, SWEEP_PAGE_SIZE);
        if (!rows.length) break;
        after = rows[rows.length - 1].id;
        const refs: EventsResolvedBatch['events'] = rows.map((row) => ({ eventId: row.id, profileId: row.profileId }));
        const jobs = chunks(refs, STAGE_BATCH_MAX).map((events) => ({
          name: EVENT_RESOLVED,
          data: { tenantId, events, resend: `swept${period}` },
          opts: { jobId: `${tenantId}-swept${period}-${events[0].eventId}-${events[events.length - 1].eventId}` },
        }));
        await addFairly(this.deps.queues.get(EVENT_RESOLVED), fairShareFor(this.deps), jobs, (d) => d.tenantId);
        total += rows.length;
        if (rows.length < SWEEP_PAGE_SIZE) break;
      }
    }
    return total;
  }
}
