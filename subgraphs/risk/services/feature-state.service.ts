import type { EntityManager } from '../../common/orm';
import type { ActivityPlan } from '../domain/activity-plan';
import { applyToState, stateFromHistory, summaryFromState, type FeatureState, type FeatureStateItem } from '../domain/churn/feature-state';
import { summarizeHistory, type ProfileSummary } from '../domain/churn/summary';
import type { StoredRowIds } from '../entities/activity.repository';
import { ProfileFeatureStateRepository } from '../entities/profile-feature-state.repository';
import { ActivityService } from './activity.service';

/** Purchase events every state keeps (the default of `trainModel` and `fitLifetimeModel`). */
export const DEFAULT_PURCHASE_EVENTS: readonly string[] = ['Order Completed'];

/** How a batch's states were kept, for logs and tests. */
export interface FoldOutcome {
  /** Profiles whose state took the batch's new rows in memory. */
  folded: number;
  /** Profiles whose state was rebuilt from their history (no state yet, stale, or a late purchase). */
  rebuilt: number;
}

/** Process-wide counts of the slower paths (read by tests and the stage cost figures). */
export const featureStateCounters = { folded: 0, rebuilt: 0, scoredFromHistory: 0 };

/** Keeps profiles' incremental feature states (see `domain/churn/feature-state.ts`). */
export class FeatureStateService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * Folds the rows a chunk's transaction just inserted into their profiles' states, in that same
   * transaction (call with its entity manager): a replayed chunk inserts nothing, so folds
   * nothing, and a rolled-back chunk takes its fold with it. One read of the states (locked), one
   * history read per table for the profiles to rebuild, and multi-row writes.
   */
  async foldStored(plan: ActivityPlan, ids: StoredRowIds, newlyStored: ReadonlySet<string>): Promise<FoldOutcome> {
    const items = new Map<string, FeatureStateItem[]>();
    const add = (profileId: string, item: FeatureStateItem) => {
      if (!newlyStored.has(item.key)) return;
      const list = items.get(profileId) ?? [];
      list.push(item);
      items.set(profileId, list);
    };
    plan.events.forEach((e, i) => add(e.profileId, { kind: 'event', key: ids.events.ids[i], id: e.eventId, t: e.timestamp.getTime(), name: e.name, revenue: e.revenue, traits: e.traits }));
    plan.signals.forEach((s, i) => add(s.profileId, { kind: 'signal', key: ids.signals.ids[i], id: s.signalId, t: s.detectedAt.getTime(), type: s.type, severity: s.severity, summary: s.summary }));
    plan.snapshots.forEach((j, i) => add(j.profileId, { kind: 'journey', key: ids.snapshots.ids[i], instanceId: j.instanceId, t: j.observedAt.getTime(), state: j.state }));
    if (items.size === 0) return { folded: 0, rebuilt: 0 };

    const repo = new ProfileFeatureStateRepository(this.em, this.tenantId);
    const stored = await repo.statesOf([...items.keys()], true);
    const next = new Map<string, FeatureState>();
    const rebuild: string[] = [];
    const absent: string[] = [];
    for (const [profileId, list] of items) {
      const row = stored.get(profileId);
      const folded = row?.state ? applyToState(row.state, list) : null;
      if (folded) next.set(profileId, folded);
      else (row ? rebuild : absent).push(profileId);
    }
    // the histories include this transaction's rows: what is rebuilt needs no fold
    const histories = await new ActivityService(this.em, this.tenantId).histories([...rebuild, ...absent]);
    const built = (profileId: string) => stateFromHistory(histories.get(profileId)!, [...DEFAULT_PURCHASE_EVENTS, ...(stored.get(profileId)?.purchaseEvents ?? [])]);
    for (const profileId of rebuild) next.set(profileId, built(profileId));
    await repo.save(next);
    // no row to lock: a batch running alongside may write one first, and then the state is stale
    await repo.insertNew(new Map(absent.map((profileId) => [profileId, built(profileId)])), 'stale');
    const outcome = { folded: items.size - rebuild.length - absent.length, rebuilt: rebuild.length + absent.length };
    featureStateCounters.folded += outcome.folded;
    featureStateCounters.rebuilt += outcome.rebuilt;
    return outcome;
  }

  /**
   * Summaries of these profiles as of `now` with the purchases of `purchaseEvents`: from their
   * states in one query; from their histories (one query per table for all of them) where a
   * state is missing (stored once, lazily: data from before the states), stale, not tracking
   * one of `purchaseEvents` (marked stale to be rebuilt tracking it), or ahead of `now`.
   */
  async summaries(profileIds: readonly string[], now: Date, purchaseEvents: readonly string[]): Promise<Map<string, ProfileSummary>> {
    const repo = new ProfileFeatureStateRepository(this.em, this.tenantId);
    const stored = await repo.statesOf(profileIds);
    const summaries = new Map<string, ProfileSummary>();
    const fromHistory: string[] = [];
    for (const profileId of profileIds) {
      const state = stored.get(profileId)?.state;
      const summary = state ? summaryFromState(state, now, purchaseEvents) : null;
      if (summary) summaries.set(profileId, summary);
      else fromHistory.push(profileId);
    }
    if (fromHistory.length === 0) return summaries;
    featureStateCounters.scoredFromHistory += fromHistory.length;
    // states are read before histories: a state written from this history read can only miss
    // rows of batches that found no row either, and those mark it stale (`insertNew`)
    const histories = await new ActivityService(this.em, this.tenantId).histories(fromHistory);
    const absent = new Map<string, FeatureState>();
    const untracked: string[] = [];
    for (const profileId of fromHistory) {
      const history = histories.get(profileId)!;
      summaries.set(profileId, summarizeHistory(history, now, purchaseEvents));
      const row = stored.get(profileId);
      if (!row) absent.set(profileId, stateFromHistory(history, [...DEFAULT_PURCHASE_EVENTS, ...purchaseEvents]));
      else if (!purchaseEvents.every((n) => row.purchaseEvents.includes(n))) untracked.push(profileId);
    }
    await repo.insertNew(absent, 'keep');
    await repo.markStale(untracked, purchaseEvents);
    return summaries;
  }
}
