import { raw } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import { PlaybookRun } from './playbook-run.entity';
import { StepDelivery, type DeliveryStatus } from './step-delivery.entity';

/** What `page` filters the tenant's ledger on; every field given must hold. */
export interface LedgerFilterFields {
  status?: DeliveryStatus | null;
  channel?: string | null;
  profileId?: string | null;
  /** Claimed at or after. */
  from?: Date | null;
  /** Claimed before. */
  to?: Date | null;
}

/** The outbox and ledger of playbook sends, for one tenant. */
export class StepDeliveryRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * Claims (run, step, visit) before anything is sent: inserts the row unless it exists, and
   * returns the stored row, new or not. A retried job gets the row its first try claimed.
   */
  async claim(row: Pick<StepDelivery, 'runId' | 'profileId' | 'stepId' | 'visit' | 'channel'>, now: Date): Promise<StepDelivery> {
    const fresh = this.em.create(StepDelivery, { tenantId: this.tenantId, ...row, status: 'claimed', createdAt: now, updatedAt: now }, { persist: false });
    await this.em.upsert(StepDelivery, fresh, { onConflictFields: ['runId', 'stepId', 'visit'], onConflictAction: 'ignore' });
    const stored = await this.em.findOne(StepDelivery, { tenantId: this.tenantId, runId: row.runId, stepId: row.stepId, visit: row.visit }, { disableIdentityMap: true });
    if (!stored) throw new Error(`step delivery ${row.runId}/${row.stepId}/${row.visit} was not stored`);
    return stored;
  }

  /** One row of the tenant's ledger, read fresh (not from the identity map), or null. */
  byId(id: string): Promise<StepDelivery | null> {
    return this.em.findOne(StepDelivery, { tenantId: this.tenantId, id }, { disableIdentityMap: true });
  }

  /**
   * Puts a dead-lettered send back in flight for a replay (`replaySend`): one UPDATE with a
   * compare-and-set on `status = 'failed'`, back to claimed with its tries counted from zero, one
   * more replay, and the replay marked requested at `now` (the reconciler's outbox marker). False
   * when the row is not failed (any more), so two concurrent replays of one row make one replay, or
   * when its failure's message event is still owed (`outcomeEventPendingSince`).
   */
  async requestReplay(id: string, now: Date): Promise<boolean> {
    const changed = await this.em.nativeUpdate(
      StepDelivery,
      // not while the failure's message event is owed: the reconciler rebuilds it from this row
      { tenantId: this.tenantId, id, status: 'failed', outcomeEventPendingSince: null },
      { status: 'claimed', attempts: 0, replays: raw('replays + 1'), replayRequestedAt: now, finishedAt: null, updatedAt: now },
    );
    return changed === 1;
  }

  /**
   * A replay falls in quiet hours: moves its marker to `until`, when it is due, so the reconciler
   * does not send it early. Compare-and-set on the replay still in flight; false when it is not.
   */
  async deferReplay(id: string, replays: number, until: Date, now: Date): Promise<boolean> {
    return (await this.em.nativeUpdate(StepDelivery, { tenantId: this.tenantId, id, status: 'claimed', replays, replayRequestedAt: { $ne: null } }, { replayRequestedAt: until, updatedAt: now })) === 1;
  }

  /** Counts one more provider call, before it is made, if the row is still claimed at `attempts`. */
  async startAttempt(id: string, attempts: number, now: Date): Promise<boolean> {
    return (await this.em.nativeUpdate(StepDelivery, { tenantId: this.tenantId, id, status: 'claimed', attempts }, { attempts: attempts + 1, updatedAt: now })) === 1;
  }

  /**
   * Records the outcome (final, or `claimed` with the error of a try to be retried). A final
   * outcome with `outcomeEvent` (a playbook send) also marks its message event pending, in the
   * same UPDATE: the outbox of `record-message-outcome`; a final outcome also ends the replay in
   * flight, if any (its marker cleared in the same UPDATE).
   */
  async record(id: string, status: DeliveryStatus, fields: { providerId?: string | null; error?: string | null; outcomeEvent?: boolean }, now: Date): Promise<void> {
    const final = status !== 'claimed';
    await this.em.nativeUpdate(
      StepDelivery,
      { tenantId: this.tenantId, id },
      {
        status,
        providerId: fields.providerId ?? null,
        error: fields.error ?? null,
        finishedAt: final ? now : null,
        ...(final && fields.outcomeEvent ? { outcomeEventPendingSince: now } : {}),
        ...(final ? { replayRequestedAt: null } : {}),
        updatedAt: now,
      },
    );
  }

  /**
   * The sent message a provider knows as `providerId` on `channel` (the id its answer to the send
   * returned), or null. One SELECT down the (tenant, channel, provider id) index.
   */
  sentByProviderId(channel: string, providerId: string): Promise<StepDelivery | null> {
    return this.em.findOne(StepDelivery, { tenantId: this.tenantId, channel, providerId, status: 'sent' }, { disableIdentityMap: true });
  }

  /**
   * The message event of this row's `status` after replay `replays` is in the tenant's stream:
   * clears its marker. One UPDATE; the event of an earlier replay leaves a later one's marker.
   */
  async outcomeEventRecorded(id: string, status: DeliveryStatus, replays = 0): Promise<number> {
    return this.em.nativeUpdate(StepDelivery, { tenantId: this.tenantId, id, status, replays, outcomeEventPendingSince: { $ne: null } }, { outcomeEventPendingSince: null });
  }

  /**
   * Sends on `channel` that reached, or may have reached, the profile since `since` and were
   * claimed before the row `ownId` (or, for a replay, before the id `rankId` of its replay's
   * time): sent rows, and claimed rows still in flight (a concurrent send, or one whose worker died
   * mid-call). One COUNT; the frequency cap compares it with its limit, and ranking by claim keeps
   * two concurrent sends from both taking the last slot.
   */
  countSentBefore(profileId: string, channel: string, since: Date, ownId: string, rankId = ownId): Promise<number> {
    return this.em.count(StepDelivery, {
      tenantId: this.tenantId,
      profileId,
      channel,
      id: rankId === ownId ? { $lt: ownId } : { $lt: rankId, $ne: ownId },
      $or: [
        { status: 'sent', finishedAt: { $gt: since } },
        { status: 'claimed', createdAt: { $gt: since } },
      ],
    });
  }

  /** A page of a profile's ledger, newest first, after the row `afterId`. */
  pageFor(profileId: string, first: number, afterId: string | null): Promise<StepDelivery[]> {
    return this.em.find(StepDelivery, { tenantId: this.tenantId, profileId, ...(afterId ? { id: { $lt: afterId } } : {}) }, { orderBy: { id: 'desc' }, limit: first });
  }

  /**
   * A page of the tenant's whole ledger, newest first, after the row `afterId`, filtered (every
   * field given must hold): down the (tenant, id) index, so paging through it all to export it
   * costs one indexed range read per page.
   */
  page(filter: LedgerFilterFields, first: number, afterId: string | null): Promise<StepDelivery[]> {
    const createdAt = { ...(filter.from ? { $gte: filter.from } : {}), ...(filter.to ? { $lt: filter.to } : {}) };
    return this.em.find(
      StepDelivery,
      {
        tenantId: this.tenantId,
        ...(afterId ? { id: { $lt: afterId } } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        ...(filter.channel ? { channel: filter.channel } : {}),
        ...(filter.profileId ? { profileId: filter.profileId } : {}),
        ...(Object.keys(createdAt).length ? { createdAt } : {}),
      },
      { orderBy: { id: 'desc' }, limit: first },
    );
  }

  /** Messages sent per channel by the runs of a playbook enrolled in [from, to). One aggregate with a sub-select. */
  async sentByChannel(playbookId: string, from: Date, to: Date): Promise<Map<string, number>> {
    const runs = this.em.createQueryBuilder(PlaybookRun, 'r').select('r.id').where({ tenantId: this.tenantId, playbookId, createdAt: { $gte: from, $lt: to } });
    const rows: { channel: string; sends: number | string }[] = await this.em
      .createQueryBuilder(StepDelivery, 'd')
      .select(['d.channel', raw('count(*) as sends')])
      .where({ tenantId: this.tenantId, status: 'sent', runId: { $in: runs.getKnexQuery() } })
      .groupBy('d.channel')
      .execute('all', false);
    return new Map(rows.map((r) => [r.channel, Number(r.sends)]));
  }
}

/** A send whose message event is still pending, with the run it belongs to (see `pendingOutcomeEventsAcrossTenants`). */
export type PendingOutcomeEvent = Pick<StepDelivery, 'id' | 'tenantId' | 'profileId' | 'runId' | 'stepId' | 'channel' | 'status' | 'providerId' | 'error' | 'finishedAt' | 'outcomeEventPendingSince' | 'replays'>;

/**
 * Every tenant's sends whose message event has been pending since before `cutoff` (its
 * `record-message-outcome` job was lost, or never queued), in id order after `after`, at most
 * `limit`. The reconciler's read: it crosses tenants on purpose.
 */
export function pendingOutcomeEventsAcrossTenants(em: EntityManager, cutoff: Date, limit: number, after: string | null): Promise<PendingOutcomeEvent[]> {
  return em.find(
    StepDelivery,
    { outcomeEventPendingSince: { $lt: cutoff }, ...(after ? { id: { $gt: after } } : {}) },
    {
      orderBy: { id: 'asc' },
      limit,
      fields: ['id', 'tenantId', 'profileId', 'runId', 'stepId', 'channel', 'status', 'providerId', 'error', 'finishedAt', 'outcomeEventPendingSince', 'replays'],
      disableIdentityMap: true,
    },
  );
}

/** A replay in flight (see `pendingReplaysAcrossTenants`). */
export type PendingReplay = Pick<StepDelivery, 'id' | 'tenantId' | 'replays'>;

/**
 * Every tenant's replays (`replaySend`) requested, or due, before `cutoff` and still in flight
 * (their job lost to a Redis flush, or the worker died), in id order after `after`, at most
 * `limit`. Down the partial index on `replay_requested_at`. The reconciler's read: it crosses
 * tenants on purpose.
 */
export function pendingReplaysAcrossTenants(em: EntityManager, cutoff: Date, limit: number, after: string | null): Promise<PendingReplay[]> {
  return em.find(
    StepDelivery,
    { replayRequestedAt: { $lt: cutoff }, status: 'claimed', ...(after ? { id: { $gt: after } } : {}) },
    { orderBy: { id: 'asc' }, limit, fields: ['id', 'tenantId', 'replays'], disableIdentityMap: true },
  );
}
