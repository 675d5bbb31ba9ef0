import type { Queue } from 'bullmq';

import { AppError } from '../../common/errors';
import { isUuid } from '../../common/ids';
import type { Logger } from '../../common/logger';
import { insertOnce, type EntityManager } from '../../common/orm';
import { SIGNAL_DETECTED, type FsPubSub } from '../../common/pubsub';
import { RECORD_ACTIVITY, SIGNAL_ALERTS, type JobPayloads } from '../../common/queues';
import { signalActivity, signalDetected } from '../domain/events/activity-items';
import { Signal } from '../entities/signal.entity';
import { queueSignalAlerts } from './signal-alerts-handoff';

export interface ListSignalsOptions {
  types?: string[] | null;
  since?: Date | null;
  first: number;
}

/** The tenant-wide `signals` query. */
export interface SignalsFilterOptions {
  types?: string[] | null;
  profileId?: string | null;
  since?: Date | null;
  minSeverity?: number | null;
}

export interface SignalPage {
  edges: { cursor: string; node: Signal }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** What a new signal is announced with. */
export interface SignalFollowUps {
  pubSub: FsPubSub;
  /** The risk stage's copy of the signal (features and evidence of reasons); risk re-scores the profile on it. */
  activityQueue: Pick<Queue<JobPayloads[typeof RECORD_ACTIVITY]>, 'add'>;
  /** The actions stage's FRICTION_SIGNAL alert rules (`signal-alerts`); the signal stays pending until actions acknowledges. */
  alertsQueue?: Pick<Queue<JobPayloads[typeof SIGNAL_ALERTS]>, 'addBulk'>;
  log?: Logger;
}

/** What `record` stores: a `FrictionFinding` fits. */
export interface SignalInput {
  profileId: string;
  type: string;
  severity: number;
  detectedAt: Date;
  evidence: Record<string, unknown>;
  dedupeKey: string;
  journeyInstanceId?: string | null;
}

/** A job that claimed a signal's follow-ups and died is taken over after this long. */
const ANNOUNCE_CLAIM_TTL_MS = 30_000;

/** Tenant-scoped reads and idempotent writes of friction signals. */
export class SignalService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    /** Without them, `record` only stores (seeding, tests). */
    private readonly followUps?: SignalFollowUps,
  ) {}

  listFor(profileId: string, { types, since, first }: ListSignalsOptions): Promise<Signal[]> {
    if (!isUuid(profileId)) return Promise.resolve([]);
    return this.em.find(
      Signal,
      {
        tenantId: this.tenantId,
        profileId,
        ...(types?.length ? { type: { $in: types } } : {}),
        ...(since ? { detectedAt: { $gte: since } } : {}),
      },
      { orderBy: { detectedAt: 'desc', id: 'desc' }, limit: first },
    );
  }

  /** The tenant's signals, newest first (detectedAt, then id), a page at a time. */
  async list({ filter, first, after }: { filter?: SignalsFilterOptions | null; first: number; after?: string | null }): Promise<SignalPage> {
    const f = filter ?? {};
    if (f.profileId && !isUuid(f.profileId)) return { edges: [], pageInfo: { hasNextPage: false, endCursor: null } };
    const where: Record<string, unknown>[] = [{ tenantId: this.tenantId }];
    if (f.types?.length) where.push({ type: { $in: f.types } });
    if (f.profileId) where.push({ profileId: f.profileId });
    if (f.since) where.push({ detectedAt: { $gte: f.since } });
    if (f.minSeverity != null) where.push({ severity: { $gte: f.minSeverity } });
    if (after) {
      const { detectedAt, id } = decodeSignalCursor(after);
      where.push({ $or: [{ detectedAt: { $lt: detectedAt } }, { detectedAt, id: { $lt: id } }] });
    }
    const rows = await this.em.find(Signal, { $and: where }, { orderBy: { detectedAt: 'desc', id: 'desc' }, limit: first + 1 });
    const edges = rows.slice(0, first).map((node) => ({ cursor: encodeSignalCursor(node), node }));
    return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
  }

  /**
   * Stores a signal once per dedupe key, then (with follow-ups) announces it once: publishes
   * SIGNAL_DETECTED to the tenant's subscribers, hands the risk stage its copy
   * (`record-activity`, on which risk re-scores the profile) and the actions stage its alert
   * rules' (`signal-alerts`). A replay finds the row and, once announced, does nothing more; a job retried after a
   * crash between the insert and the follow-ups finds it unannounced and sends them.
   */
  async record(data: SignalInput): Promise<Signal> {
    const signal = await insertOnce(
      this.em,
      Signal,
      // the alerts hand-off is pending from the insert on (kept by a replay: the row is not rewritten)
      { tenantId: this.tenantId, ...data, journeyInstanceId: data.journeyInstanceId ?? null, alertsPendingSince: new Date() },
      ['tenantId', 'dedupeKey'],
    );
    if (this.followUps && !signal.announcedAt) await this.announce(signal, this.followUps);
    return signal;
  }

  /**
   * Announces signals stored but never announced (their job or sweep died after the commit).
   * Signals another job is announcing right now (a fresh claim) are left to it. Bounded; returns
   * how many it announced.
   */
  async announcePending(limit = 500): Promise<number> {
    if (!this.followUps) return 0;
    const staleClaim = new Date(Date.now() - ANNOUNCE_CLAIM_TTL_MS);
    const pending = await this.em.find(
      Signal,
      { tenantId: this.tenantId, announcedAt: null, $or: [{ announceClaimedAt: null }, { announceClaimedAt: { $lt: staleClaim } }] },
      { orderBy: { id: 'asc' }, limit },
    );
    let announced = 0;
    for (const signal of pending) {
      try {
        await this.announce(signal, this.followUps);
        announced += 1;
      } catch {
        // claimed meanwhile by the job that stored it: that job sends the follow-ups
      }
    }
    return announced;
  }

  private async announce(signal: Signal, followUps: SignalFollowUps): Promise<void> {
    const now = new Date();
    // one job announces: the claim is a conditional UPDATE; a stale claim (its job died) is taken over
    const claimed = await this.em.nativeUpdate(
      Signal,
      {
        id: signal.id,
        announcedAt: null,
        $or: [{ announceClaimedAt: null }, { announceClaimedAt: { $lt: new Date(now.getTime() - ANNOUNCE_CLAIM_TTL_MS) } }],
      },
      { announceClaimedAt: now },
    );
    if (claimed === 0) {
      const fresh = await this.em.findOneOrFail(Signal, { id: signal.id }, { refresh: true });
      if (fresh.announcedAt) return;
      // another job is announcing it right now: retry later (BullMQ backoff) and check again
      throw new Error(`signal ${signal.id}: follow-ups are being sent by another job`);
    }
    followUps.pubSub.publish(SIGNAL_DETECTED, this.tenantId, signalDetected(this.tenantId, signal));
    await followUps.activityQueue.add(RECORD_ACTIVITY, signalActivity(this.tenantId, signal), { jobId: `${this.tenantId}-signal-${signal.id}` });
    if (followUps.alertsQueue) await queueSignalAlerts(followUps.alertsQueue, this.tenantId, [signal]);
    await this.em.nativeUpdate(Signal, { id: signal.id }, { announcedAt: new Date() });
    signal.announcedAt = new Date();
    followUps.log?.info({ tenantId: this.tenantId, profileId: signal.profileId, signalId: signal.id, type: signal.type }, 'friction signal recorded');
  }
}

const CURSOR_PREFIX = 'signal:';

/** Opaque to clients: base64url of the last row's detectedAt (ms) and id. */
export function encodeSignalCursor(signal: Pick<Signal, 'detectedAt' | 'id'>): string {
  return Buffer.from(`${CURSOR_PREFIX}${signal.detectedAt.getTime()}:${signal.id}`).toString('base64url');
}

export function decodeSignalCursor(cursor: string): { detectedAt: Date; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const [ms, id] = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length).split(':') : [];
  // a date past JavaScript's range (8.64e15 ms) is Invalid Date, which the query would choke on
  const detectedAt = ms && /^\d{1,16}$/.test(ms) ? new Date(Number(ms)) : null;
  if (!detectedAt || Number.isNaN(detectedAt.getTime()) || !id || !isUuid(id)) throw new AppError('BAD_USER_INPUT', 'invalid cursor: pass the endCursor of a previous page');
  return { detectedAt, id };
}
