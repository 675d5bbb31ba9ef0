import type { RecordActivityJob } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { riskSubgraph } from '../../../subgraphs/risk';
import { applyToState, stateFromHistory, summaryFromState, type FeatureState } from '../../../subgraphs/risk/domain/churn/feature-state';
import { buildFeatures, featuresFromSummary, type FeatureOptions } from '../../../subgraphs/risk/domain/churn/features';
import { ProfileFeatureState } from '../../../subgraphs/risk/entities/profile-feature-state.entity';
import { ProfileFeatureStateRepository } from '../../../subgraphs/risk/entities/profile-feature-state.repository';
import { ActivityService } from '../../../subgraphs/risk/services/activity.service';
import { DEFAULT_PURCHASE_EVENTS, featureStateCounters } from '../../../subgraphs/risk/services/feature-state.service';
import { riskServiceFor } from '../../../subgraphs/risk/services/risk-service-factory';
import { ScoringService } from '../../../subgraphs/risk/services/scoring.service';
import { recordActivity } from '../../../subgraphs/risk/workers/record-activity.worker';
import { activityBatch } from '../../fixtures/risk-activity-batch';
import { syntheticId } from '../../fixtures/synthetic-tenant';
import { createTestEnv, usePostgres, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';

const NOW = Date.parse('2026-11-01T00:00:00Z');
const HOUR = 3_600_000;
const OPTIONS: FeatureOptions = { purchaseEvent: 'Order Completed', events: ['Screen Viewed'], signalTypes: ['retry_loop'], traits: [{ name: 'plan', type: 'categorical' }] };

/** Later events of the same profiles: a screen and a purchase each, `hours` after NOW. */
function laterBatch(tenantId: string, profileIds: string[], hours: number, seed: number): RecordActivityJob[] {
  return profileIds.flatMap((profileId, p) =>
    ['Screen Viewed', 'Order Completed'].map(
      (name, i): RecordActivityJob => ({
        tenantId,
        profileId,
        kind: 'event',
        eventId: syntheticId(21, seed * 100_000 + p * 10 + i),
        type: 'track',
        name,
        timestamp: new Date(NOW + hours * HOUR + i * 1000).toISOString(),
        revenue: name === 'Order Completed' ? 10.1 + p : null,
        traits: {},
      }),
    ),
  );
}

describe('incremental feature state (record-activity and scoring)', () => {
  let env: TestEnv;
  let risk: RunningSubgraph;

  beforeAll(async () => {
    env = await createTestEnv({ RISK_SCORE_DEBOUNCE_MS: '0' });
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
  }, 120_000);
  afterAll(async () => {
    await risk?.close();
    await env?.cleanup();
  });

  const statesOf = (tenantId: string, ids: string[]) => new ProfileFeatureStateRepository(forkAcrossTenants(risk.deps.orm), tenantId).statesOf(ids);
  const rawStates = async (tenantId: string) =>
    (await forkAcrossTenants(risk.deps.orm).find(ProfileFeatureState, { tenantId }, { orderBy: { profileId: 'asc' } })).map((r) => ({ profileId: r.profileId, state: r.state }));
  const profilesOf = (items: RecordActivityJob[]) => [...new Set(items.filter((i) => i.kind !== 'segment').map((i) => i.profileId))];

  it('keeps each profile a state equal to the one built from its whole history, folds later batches in memory and scores from it; a replay changes nothing', async () => {
    const tenantId = 'state';
    const first = activityBatch(tenantId, 12, 5, NOW, 1);
    const profiles = profilesOf(first);
    await recordActivity({ id: 'first', data: { tenantId, items: first } }, risk.deps, new Date(NOW));
    const before = { ...featureStateCounters };
    const second = laterBatch(tenantId, profiles, 2, 1);
    await recordActivity({ id: 'second', data: { tenantId, items: second } }, risk.deps, new Date(NOW + 3 * HOUR));
    // every profile had a state: the second batch was folded, and scored without a history read
    expect(featureStateCounters.folded - before.folded).toBe(profiles.length);
    expect(featureStateCounters.rebuilt - before.rebuilt).toBe(0);
    expect(featureStateCounters.scoredFromHistory - before.scoredFromHistory).toBe(0);

    const histories = await new ActivityService(forkAcrossTenants(risk.deps.orm), tenantId).histories(profiles);
    const stored = await statesOf(tenantId, profiles);
    const asOf = new Date(NOW + 3 * HOUR);
    for (const profileId of profiles) {
      const state = stored.get(profileId)!.state!;
      expect(state).toEqual(stateFromHistory(histories.get(profileId)!, DEFAULT_PURCHASE_EVENTS));
      expect(featuresFromSummary(summaryFromState(state, asOf, [OPTIONS.purchaseEvent])!, asOf, OPTIONS)).toEqual(buildFeatures(histories.get(profileId)!, asOf, OPTIONS));
      expect(state.purchases['Order Completed'].count).toBe(2); // the first batch's and the second's
    }

    const snapshot = await rawStates(tenantId);
    const replay = { ...featureStateCounters };
    await recordActivity({ id: 'second', data: { tenantId, items: second } }, risk.deps, new Date(NOW + 3 * HOUR));
    await recordActivity({ id: 'first', data: { tenantId, items: first } }, risk.deps, new Date(NOW + 3 * HOUR));
    expect(await rawStates(tenantId)).toEqual(snapshot);
    expect(featureStateCounters.folded).toBe(replay.folded);
    expect(featureStateCounters.rebuilt).toBe(replay.rebuilt);

    // a batch part stored already, part new: only the new rows are folded
    const third = laterBatch(tenantId, profiles.slice(0, 1), 4, 3);
    await recordActivity({ id: 'mixed', data: { tenantId, items: [...second, ...third] } }, risk.deps, new Date(NOW + 5 * HOUR));
    const history = (await new ActivityService(forkAcrossTenants(risk.deps.orm), tenantId).histories([profiles[0]])).get(profiles[0])!;
    const state = (await statesOf(tenantId, [profiles[0]])).get(profiles[0])!.state!;
    expect(state).toEqual(stateFromHistory(history, DEFAULT_PURCHASE_EVENTS));
    expect(state.purchases['Order Completed'].count).toBe(3);
    expect(featureStateCounters.folded).toBe(replay.folded + 1);
  });

  it('rebuilds from history a state that cannot fold a late purchase, and backfills profiles with no state when scored', async () => {
    const tenantId = 'late';
    const first = activityBatch(tenantId, 4, 5, NOW, 2);
    const profiles = profilesOf(first);
    await recordActivity({ id: 'first', data: { tenantId, items: first } }, risk.deps, new Date(NOW));
    await recordActivity({ id: 'later', data: { tenantId, items: laterBatch(tenantId, profiles, 5, 2) } }, risk.deps, new Date(NOW + 6 * HOUR));
    const before = { ...featureStateCounters };
    // purchases older than the ones folded: their revenue cannot be added in order
    await recordActivity({ id: 'late', data: { tenantId, items: laterBatch(tenantId, profiles, 1, 3) } }, risk.deps, new Date(NOW + 6 * HOUR));
    expect(featureStateCounters.rebuilt - before.rebuilt).toBe(profiles.length);
    const histories = await new ActivityService(forkAcrossTenants(risk.deps.orm), tenantId).histories(profiles);
    const stored = await statesOf(tenantId, profiles);
    for (const profileId of profiles) {
      expect(stored.get(profileId)!.state).toEqual(stateFromHistory(histories.get(profileId)!, DEFAULT_PURCHASE_EVENTS));
      expect(stored.get(profileId)!.state!.purchases['Order Completed'].count).toBe(3);
    }

    // data from before the states: scoring reads the history once and stores the state
    await forkAcrossTenants(risk.deps.orm).nativeDelete(ProfileFeatureState, { tenantId });
    const scoring = { ...featureStateCounters };
    const em = forkAcrossTenants(risk.deps.orm);
    await new ScoringService(em, tenantId, riskServiceFor(risk.deps, em, tenantId)).scoreProfiles(profiles, new Date(NOW + 8 * HOUR));
    expect(featureStateCounters.scoredFromHistory - scoring.scoredFromHistory).toBe(profiles.length);
    const backfilled = await statesOf(tenantId, profiles);
    for (const profileId of profiles) expect(backfilled.get(profileId)!.state).toEqual(stateFromHistory(histories.get(profileId)!, DEFAULT_PURCHASE_EVENTS));
  });

  it('never leaves a state that differs from the history when batches of the same profiles run at once (a lost fold turns it stale)', async () => {
    const tenantId = 'concurrent-state';
    const first = activityBatch(tenantId, 10, 5, NOW, 4);
    const profiles = profilesOf(first);
    await recordActivity({ id: 'first', data: { tenantId, items: first } }, risk.deps, new Date(NOW));
    // two batches of the same profiles at once, then two more of profiles with no state yet
    await Promise.all([2, 3].map((hours, i) => recordActivity({ id: `at-once-${i}`, data: { tenantId, items: laterBatch(tenantId, profiles, hours, 6 + i) } }, risk.deps, new Date(NOW + 4 * HOUR))));
    const fresh = profilesOf(activityBatch(tenantId, 6, 5, NOW, 5));
    await Promise.all([2, 3].map((hours, i) => recordActivity({ id: `fresh-${i}`, data: { tenantId, items: laterBatch(tenantId, fresh, hours, 8 + i) } }, risk.deps, new Date(NOW + 4 * HOUR))));
    const all = [...profiles, ...fresh];
    const histories = await new ActivityService(forkAcrossTenants(risk.deps.orm), tenantId).histories(all);
    const stored = await statesOf(tenantId, all);
    for (const profileId of all) {
      const state = stored.get(profileId)?.state;
      expect(state).not.toBeUndefined();
      if (state !== null) expect(state).toEqual(stateFromHistory(histories.get(profileId)!, DEFAULT_PURCHASE_EVENTS));
    }
    // what was folded is all there: the first profiles' states hold both batches' purchases
    for (const profileId of profiles) if (stored.get(profileId)!.state) expect(stored.get(profileId)!.state!.purchases['Order Completed'].count).toBe(3);
  });

  (usePostgres ? it : it.skip)('makes a second batch of a profile wait for the first one\'s fold and read what it wrote (PostgreSQL row lock)', async () => {
    const tenantId = 'lock-state';
    const items = activityBatch(tenantId, 1, 5, NOW, 6);
    const [profileId] = profilesOf(items);
    await recordActivity({ id: 'first', data: { tenantId, items } }, risk.deps, new Date(NOW));
    const initial = (await statesOf(tenantId, [profileId])).get(profileId)!.state!;
    const folded = applyToState(initial, [{ kind: 'event', key: 'ffffffff-ffff-7fff-bfff-ffffffffffff', id: syntheticId(24, 1), t: NOW + HOUR, name: 'Screen Viewed', revenue: null, traits: null }])!;
    const waiting = async () => Number((await forkAcrossTenants(risk.deps.orm).getConnection().execute('select count(*) as n from pg_locks where not granted'))[0].n) > 0;
    let second: Promise<FeatureState | null> | null = null;
    await forkAcrossTenants(risk.deps.orm).transactional(async (tx) => {
      const repo = new ProfileFeatureStateRepository(tx, tenantId);
      expect((await repo.statesOf([profileId], true)).get(profileId)!.state).toEqual(initial);
      second = forkAcrossTenants(risk.deps.orm).transactional(async (other) => (await new ProfileFeatureStateRepository(other, tenantId).statesOf([profileId], true)).get(profileId)!.state);
      await waitFor(waiting); // the second reader is blocked on the row
      await repo.save(new Map([[profileId, folded]]));
    });
    expect(await second!).toEqual(folded);
  });

  it('marks the survivor of a merge stale and rebuilds it, with the merged profile\'s history, on its next batch', async () => {
    const tenantId = 'merge-state';
    const first = activityBatch(tenantId, 2, 5, NOW, 3);
    const [survivor, merged] = profilesOf(first);
    await recordActivity({ id: 'first', data: { tenantId, items: first } }, risk.deps, new Date(NOW));
    const merge: RecordActivityJob = { tenantId, kind: 'merge', profileId: survivor, mergedProfileId: merged } as RecordActivityJob;
    await recordActivity({ id: 'merge', data: { tenantId, items: [merge] } }, risk.deps, new Date(NOW + HOUR));
    expect((await statesOf(tenantId, [survivor])).get(survivor)!.state).toBeNull();
    expect((await statesOf(tenantId, [merged])).has(merged)).toBe(false);
    await recordActivity({ id: 'after', data: { tenantId, items: laterBatch(tenantId, [survivor], 2, 5) } }, risk.deps, new Date(NOW + 3 * HOUR));
    const history = (await new ActivityService(forkAcrossTenants(risk.deps.orm), tenantId).histories([survivor])).get(survivor)!;
    expect(history.events.length).toBe(first.filter((i) => i.kind === 'event').length + 2);
    expect((await statesOf(tenantId, [survivor])).get(survivor)!.state).toEqual(stateFromHistory(history, DEFAULT_PURCHASE_EVENTS));
  });
});
