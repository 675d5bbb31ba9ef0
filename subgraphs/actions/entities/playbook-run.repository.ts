import type { FilterQuery } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import { LIVE_STATUSES, type RunState, type RunStatus } from '../domain/playbook-run';
import { PlaybookRun } from './playbook-run.entity';

/** Which runs to list; every field given must hold. */
export interface RunListFilter {
  status?: RunStatus | null;
  playbookId?: string | null;
  profileId?: string | null;
}

/** A run that is due, as the reconciler queues it. */
export interface DueRun {
  tenantId: string;
  runId: string;
  stepId: string;
  visit: number;
  nextDueAt: Date;
}

/** Playbook runs of one tenant (or, for the reconciler, of every tenant: `dueAcrossTenants`). */
export class PlaybookRunRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * One multi-row INSERT that skips a run whose profile already has a live run of the playbook
   * (the unique live key), then one read of the rows this call inserted.
   */
  async insertIgnoring(rows: readonly PlaybookRun[]): Promise<PlaybookRun[]> {
    if (rows.length === 0) return [];
    // the ids before the upsert: MikroORM reloads a skipped row into its entity, id included
    const ids = rows.map((r) => r.id);
    await this.em.upsertMany(PlaybookRun, rows as PlaybookRun[], { onConflictFields: ['tenantId', 'playbookId', 'profileId', 'liveKey'], onConflictAction: 'ignore' });
    return this.em.find(PlaybookRun, { tenantId: this.tenantId, id: { $in: ids } }, { orderBy: { id: 'asc' }, disableIdentityMap: true });
  }

  find(runId: string): Promise<PlaybookRun | null> {
    return this.em.findOne(PlaybookRun, { tenantId: this.tenantId, id: runId }, { disableIdentityMap: true });
  }

  /** The live runs of these profiles. One SELECT. */
  liveOf(profileIds: readonly string[]): Promise<PlaybookRun[]> {
    if (profileIds.length === 0) return Promise.resolve([]);
    return this.em.find(PlaybookRun, { tenantId: this.tenantId, profileId: { $in: [...new Set(profileIds)] }, status: { $in: [...LIVE_STATUSES] } }, { disableIdentityMap: true });
  }

  /** The runs of these profiles waiting at a `waitForEvent` step. One SELECT. */
  waitingForEvents(profileIds: readonly string[]): Promise<PlaybookRun[]> {
    if (profileIds.length === 0) return Promise.resolve([]);
    return this.em.find(PlaybookRun, { tenantId: this.tenantId, profileId: { $in: [...new Set(profileIds)] }, status: 'waiting', waitingFor: { $ne: null } }, { disableIdentityMap: true });
  }

  /**
   * Stores a run's next state if it is still at `visit` and live (compare-and-set): a concurrent
   * event, timeout or cancel that moved it first wins, and this call returns false.
   */
  async saveState(runId: string, visit: number, state: RunState, now: Date): Promise<boolean> {
    const live = LIVE_STATUSES.includes(state.status);
    const changed = await this.em.nativeUpdate(
      PlaybookRun,
      { tenantId: this.tenantId, id: runId, visit, status: { $in: [...LIVE_STATUSES] } },
      {
        status: state.status,
        liveKey: live ? 'live' : null,
        stepId: state.stepId,
        visit: state.visit,
        nextDueAt: state.nextDueAt,
        enteredAt: state.enteredAt,
        waitingFor: state.waitingFor,
        history: state.history,
        endReason: state.endReason,
        endedAt: live ? null : now,
        updatedAt: now,
      },
    );
    return changed === 1;
  }

  /**
   * Moves the due time of the run's current step (a send deferred past quiet hours), if the run
   * is still at `visit` and live (compare-and-set). The reconciler then waits for it too.
   */
  async deferStep(runId: string, visit: number, dueAt: Date, now: Date): Promise<boolean> {
    const changed = await this.em.nativeUpdate(PlaybookRun, { tenantId: this.tenantId, id: runId, visit, status: { $in: [...LIVE_STATUSES] } }, { nextDueAt: dueAt, updatedAt: now });
    return changed === 1;
  }

  /**
   * Ends every live run of a playbook at once (one UPDATE): cancelled with `reason`, nothing more
   * due. A queued step then finds its run ended and does nothing; a step that already read its run
   * loses its compare-and-set. Returns the runs ended.
   */
  endLiveOf(playbookId: string, reason: string, now: Date): Promise<number> {
    return this.em.nativeUpdate(
      PlaybookRun,
      { tenantId: this.tenantId, playbookId, status: { $in: [...LIVE_STATUSES] } },
      { status: 'cancelled', liveKey: null, nextDueAt: null, waitingFor: null, endReason: reason, endedAt: now, updatedAt: now },
    );
  }

  /** A page of runs, newest first (uuidv7 ids), after the run `afterId`. */
  page(filter: RunListFilter, first: number, afterId: string | null): Promise<PlaybookRun[]> {
    const where: FilterQuery<PlaybookRun> = {
      tenantId: this.tenantId,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.playbookId ? { playbookId: filter.playbookId } : {}),
      ...(filter.profileId ? { profileId: filter.profileId } : {}),
      ...(afterId ? { id: { $lt: afterId } } : {}),
    };
    return this.em.find(PlaybookRun, where, { orderBy: { id: 'desc' }, limit: first });
  }
}

/**
 * Live runs of every tenant whose step was due at `now`, oldest due first, after the run `after`
 * (keyset paging on (next_due_at, id)): what the reconciler queues again. `em` must read across
 * tenants (`forkAcrossTenants`). One SELECT.
 */
export async function dueAcrossTenants(em: EntityManager, now: Date, limit: number, after: DueRun | null): Promise<DueRun[]> {
  const page = after ? { $or: [{ nextDueAt: { $gt: after.nextDueAt, $lte: now } }, { nextDueAt: after.nextDueAt, id: { $gt: after.runId } }] } : { nextDueAt: { $lte: now } };
  const rows = await em.find(
    PlaybookRun,
    { status: { $in: [...LIVE_STATUSES] }, ...page },
    { orderBy: { nextDueAt: 'asc', id: 'asc' }, limit, fields: ['tenantId', 'stepId', 'visit', 'nextDueAt'], disableIdentityMap: true },
  );
  return rows.map((r) => ({ tenantId: r.tenantId, runId: r.id, stepId: r.stepId!, visit: r.visit, nextDueAt: r.nextDueAt! }));
}
