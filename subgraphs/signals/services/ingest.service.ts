import { createHash } from 'node:crypto';

import { QueryFlag } from '@mikro-orm/core';
import { uuidv7 } from 'uuidv7';

import type { TenantContext } from '../../common/auth-context';
import type { Lane } from '../../common/fair-share';
import type { EntityManager } from '../../common/orm';
import type { EventType } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { dedupeByMessageId } from '../domain/events/dedupe-batch';
import { validateEvent, type NormalizedEvent } from '../domain/events/validate-event';
import { Event } from '../entities/event.entity';
import { EventOutbox, type OutboxEvent } from './event-outbox.service';
import { InFlightEvents } from './in-flight-events.service';
import type { IngestGuard } from './ingest-guard.service';

export interface IngestOptions {
  /** When the request arrived (server clock). */
  receivedAt: Date;
  /** The request's `sentAt`, for clock-skew correction. */
  sentAt?: Date | null;
  /** Type implied by a single-event endpoint. */
  impliedType?: EventType | null;
  /** Size of the request body in bytes, when known: no event of it is larger (see `validateEvent`). */
  bodyBytes?: number;
  /**
   * `history`: the events are an import of the past (`npm run import`, or the `X-Foresight-Lane:
   * history` header): every stage serves them after live traffic (see `FairShare`). Default live.
   */
  lane?: Lane;
}

export interface IngestOutcome {
  /** Events stored by this request. */
  accepted: number;
  /** Valid events already stored (same tenant and messageId), or repeated within the request. */
  duplicates: number;
  /** Refused events, by their position in the request (the first `MAX_REPORTED_ITEMS`). */
  errors: { index: number; message: string }[];
  /** Refused events in all, when more than `errors` lists. */
  errorCount?: number;
  /** Events kept but changed (e.g. a timestamp in the future), by position (the first `MAX_REPORTED_ITEMS`). */
  notices?: { index: number; message: string }[];
}

/**
 * Refusals and notices named one by one in an answer: a request of junk items would otherwise get
 * an answer many times its own size. The count says how many there were in all.
 */
export const MAX_REPORTED_ITEMS = 100;

/** Rows per multi-row INSERT: 20 columns each stays under every driver's bound-parameter limit. */
const INSERT_CHUNK = 500;

/**
 * Ingestion of Segment events for one caller: admission (rate and queue depth), validation,
 * one transaction of multi-row inserts that skip known `(tenantId, messageId)` pairs, and,
 * only after the commit, the resolve jobs. The commit is what makes an event durable; a failed
 * enqueue is left to the sweeper.
 */
export class IngestService {
  constructor(
    private readonly em: EntityManager,
    private readonly auth: TenantContext,
    private readonly deps: Pick<SubgraphDeps, 'queues' | 'config' | 'log' | 'redis'>,
    private readonly guard: IngestGuard,
  ) {}

  async ingest(events: readonly unknown[], options: IngestOptions): Promise<IngestOutcome> {
    await this.guard.admit(this.auth.keyId, events.length, { tenantId: this.auth.tenantId, lane: options.lane ?? 'live' });
    return this.guard.inTurn(this.auth.tenantId, () => this.admitted(events, options));
  }

  /** Validates, stores and hands on an admitted request (in its tenant's turn, see `IngestGuard.inTurn`). */
  private async admitted(events: readonly unknown[], options: IngestOptions): Promise<IngestOutcome> {
    const errors: IngestOutcome['errors'] = [];
    const notices: NonNullable<IngestOutcome['notices']> = [];
    let errorCount = 0;
    const valid: NormalizedEvent[] = [];
    const futureToleranceMs = this.deps.config.ingest.futureToleranceMs;
    events.forEach((raw, index) => {
      const result = validateEvent(raw, { ...options, digest: sha256Hex, sizeAtMost: options.bodyBytes, futureToleranceMs });
      if (result.ok) {
        valid.push(result.event);
        if (result.notice && notices.length < MAX_REPORTED_ITEMS) notices.push({ index, message: result.notice });
      } else if (++errorCount <= MAX_REPORTED_ITEMS) errors.push({ index, message: result.reason });
    });
    const { unique, repeats } = dedupeByMessageId(valid);
    const stored = await this.store(unique);
    // the events are committed, so the answer does not wait on Redis past a bound: should it go
    // down now, the hand-off completes when it returns or the sweeper queues the stamped rows
    const handOff = Promise.all([this.countInFlight(stored.length, options.lane ?? 'live'), this.enqueue(stored, options.lane ?? 'live')]);
    if ((await settleWithin(handOff, HAND_OFF_WAIT_MS)) === 'late') {
      this.deps.log.warn({ tenantId: this.auth.tenantId, count: stored.length }, 'enqueue after ingest still waiting on Redis: answered anyway');
    }
    return {
      accepted: stored.length,
      duplicates: repeats + unique.length - stored.length,
      errors,
      ...(errorCount > errors.length && { errorCount }),
      ...(notices.length > 0 && { notices }),
    };
  }

  /** Inserts the events in one transaction and returns those that were new. */
  private async store(events: readonly NormalizedEvent[]): Promise<OutboxEvent[]> {
    if (events.length === 0) return [];
    const rows = toEventRows(events, this.auth.tenantId);
    const inserted = await insertEventRows(this.em, rows);
    return rows.filter((row) => inserted.has(row.id));
  }

  /**
   * The stored events count against the tenant's lag share until risk acknowledges them (see
   * `InFlightEvents`). After the commit, so a refused or failed request counts nothing; a lost
   * count only admits the tenant sooner.
   */
  private async countInFlight(count: number, lane: Lane): Promise<void> {
    await new InFlightEvents(this.deps.redis, this.deps.config.queuePrefix)
      .add(this.auth.tenantId, lane, count)
      .catch((err: unknown) => this.deps.log.warn({ err, tenantId: this.auth.tenantId }, 'in-flight count not raised'));
  }

  private async enqueue(events: OutboxEvent[], lane: Lane): Promise<void> {
    try {
      await new EventOutbox(this.em, this.deps).enqueue(events, { stamped: true, lane });
    } catch (err) {
      // the events are committed: answering 200 is right, and the sweeper queues them later
      this.deps.log.error({ err, tenantId: this.auth.tenantId, count: events.length }, 'enqueue after ingest failed');
    }
  }
}

/** Longest an ingest answer waits for the enqueue after its commit, in ms (Redis unreachable mid-request). */
export const HAND_OFF_WAIT_MS = 1000;

/** 'done' when `work` settles within `ms`, else 'late' (the work goes on). */
async function settleWithin(work: Promise<unknown>, ms: number): Promise<'done' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    return await Promise.race([work.then(() => 'done' as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A row of the events table as ingestion writes it: a normalized event plus its bookkeeping columns. */
export type EventRow = NormalizedEvent & {
  id: string;
  tenantId: string;
  profileId: null;
  enqueuedAt: Date;
  processedAt: null;
  createdAt: Date;
  updatedAt: Date;
};

/**
 * The rows for events of one tenant: a fresh UUIDv7 each, not yet resolved, stamped as queued now
 * (the enqueue follows the commit; should the process die in between, the sweeper finds the rows
 * once the grace period has passed; should the enqueue fail, the stamp is cleared at once).
 */
export function toEventRows(events: readonly NormalizedEvent[], tenantId: string, now = new Date()): EventRow[] {
  return events.map((event) => ({
    ...event,
    id: uuidv7(),
    tenantId,
    profileId: null,
    enqueuedAt: now,
    processedAt: null,
    createdAt: now,
    updatedAt: now,
  }));
}

/**
 * Writes rows in one transaction of multi-row `INSERT … ON CONFLICT (tenantId, messageId) DO
 * NOTHING RETURNING id` statements and returns the ids actually written (a known messageId is
 * skipped). The write behind ingestion, exported so the ingest benchmark's ceiling issues the same SQL.
 */
export async function insertEventRows(em: EntityManager, rows: readonly EventRow[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  if (rows.length === 0) return inserted;
  await em.transactional(async (tx) => {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      // ON CONFLICT DO NOTHING … RETURNING id: only the rows actually written come back
      const result = await tx
        .createQueryBuilder(Event)
        .insert(rows.slice(i, i + INSERT_CHUNK))
        .onConflict(['tenantId', 'messageId'])
        .ignore()
        .returning(['id'])
        .setFlag(QueryFlag.CONVERT_CUSTOM_TYPES)
        .execute('run');
      for (const row of result.rows ?? []) inserted.add(String((row as { id: unknown }).id));
    }
  });
  return inserted;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
