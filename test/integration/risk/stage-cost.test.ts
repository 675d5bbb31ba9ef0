import type { AbstractSqlConnection } from '@mikro-orm/knex';

import { RISK_CHANGED } from '../../../subgraphs/common/pubsub';
import type { RecordActivityJob } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { Shutdown } from '../../../subgraphs/common/shutdown';
import { riskSubgraph } from '../../../subgraphs/risk';
import { featureStateCounters } from '../../../subgraphs/risk/services/feature-state.service';
import { recordActivity } from '../../../subgraphs/risk/workers/record-activity.worker';
import { scoreProfile, startScoreProfileWorker } from '../../../subgraphs/risk/workers/score-profile.worker';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { RiskScore } from '../../../subgraphs/risk/entities/risk-score.entity';
import { activityBatch } from '../../fixtures/risk-activity-batch';
import { syntheticId } from '../../fixtures/synthetic-tenant';
import { listenTo, readyRedisPubSub } from '../../fixtures/pubsub-listener';
import { createTestEnv, usePostgres, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const TENANT = 'cost';
const NOW = Date.parse('2026-11-01T00:00:00Z');
const PROFILES = 40;
const PER_PROFILE = 5;

/**
 * What the risk stage costs per item: SQL statements (counted by a knex query listener) and CPU
 * ms of this process (on SQLite that includes the database's own work). Prints the figures; the
 * assertions only keep the batch path from regressing to per-item round trips.
 */
describe('risk stage cost per item', () => {
  let env: TestEnv;
  let risk: RunningSubgraph;
  let statements = 0;
  const shutdown = new Shutdown();

  beforeAll(async () => {
    // a long debounce: the per-item path queues its scores (run below by hand, one per profile)
    env = await createTestEnv({ RISK_SCORE_DEBOUNCE_MS: '60000' });
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
    (risk.deps.orm.em.getConnection() as AbstractSqlConnection).getKnex().on('query', () => void statements++);
  }, 120_000);
  afterAll(async () => {
    await shutdown.run();
    await risk?.close();
    await env?.cleanup();
  });

  /** Statements and CPU ms of `run`, per item. */
  async function measure(items: number, run: () => Promise<void>): Promise<{ statementsPerItem: number; cpuMsPerItem: number; wallMsPerItem: number }> {
    const before = statements;
    const cpu = process.cpuUsage();
    const wall = performance.now();
    await run();
    const used = process.cpuUsage(cpu);
    return {
      statementsPerItem: Math.round(((statements - before) / items) * 100) / 100,
      cpuMsPerItem: Math.round(((used.user + used.system) / 1000 / items) * 100) / 100,
      wallMsPerItem: Math.round(((performance.now() - wall) / items) * 100) / 100,
    };
  }

  it('per item: one record-activity job per observation, then one score per profile', async () => {
    const items = activityBatch(TENANT, PROFILES, PER_PROFILE, NOW, 1);
    const profileIds = [...new Set(items.filter((i) => i.kind !== 'segment').map((i) => i.profileId))];
    const cost = await measure(items.length, async () => {
      for (const [n, data] of items.entries()) await recordActivity({ id: `lone-${n}`, data }, risk.deps);
      for (const profileId of profileIds) await scoreProfile({ id: profileId, data: { tenantId: TENANT, profileId, reason: 'test' } }, risk.deps, new Date(NOW));
    });
    console.log(`risk stage, per item (${usePostgres ? 'PostgreSQL' : 'SQLite'}, ${items.length} items, ${profileIds.length} profiles): ${JSON.stringify(cost)}`);
    expect(cost.statementsPerItem).toBeGreaterThan(0);
  });

  it('per batch: one record-activity job stores the batch and scores its profiles, set-based', async () => {
    const items = activityBatch(TENANT, PROFILES, PER_PROFILE, NOW, 2);
    const profileIds = new Set(items.filter((i) => i.kind !== 'segment').map((i) => i.profileId));
    // scored in the job itself, as with RISK_SCORE_DEBOUNCE_MS=0
    const inJob = { ...risk.deps, config: { ...risk.deps.config, risk: { ...risk.deps.config.risk, scoreDebounceMs: 0 } } };
    const cost = await measure(items.length, () => recordActivity({ id: 'batch', data: { tenantId: TENANT, items } }, inJob, new Date(NOW)));
    console.log(`risk stage, per batch (${usePostgres ? 'PostgreSQL' : 'SQLite'}, ${items.length} items, ${profileIds.size} profiles): ${JSON.stringify(cost)}`);
    // a handful of statements per batch, whatever its size: well under one per item
    expect(cost.statementsPerItem).toBeLessThan(0.25);
  });

  it('per batch of known customers: their feature states take the batch, and scores need no history read', async () => {
    // the customers of the batch above again, an hour later
    const items = activityBatch(TENANT, PROFILES, PER_PROFILE, NOW, 2)
      .filter((i): i is Extract<RecordActivityJob, { kind: 'event' }> => i.kind === 'event')
      .map((i, n) => ({ ...i, eventId: syntheticId(26, n), timestamp: new Date(Date.parse(i.timestamp) + 3_600_000).toISOString() }));
    const inJob = { ...risk.deps, config: { ...risk.deps.config, risk: { ...risk.deps.config.risk, scoreDebounceMs: 0 } } };
    const before = { ...featureStateCounters };
    const cost = await measure(items.length, () => recordActivity({ id: 'known', data: { tenantId: TENANT, items } }, inJob, new Date(NOW + 7_200_000)));
    console.log(`risk stage, per batch of known customers (${usePostgres ? 'PostgreSQL' : 'SQLite'}, ${items.length} items): ${JSON.stringify(cost)}`);
    expect(featureStateCounters.rebuilt).toBe(before.rebuilt);
    expect(featureStateCounters.scoredFromHistory).toBe(before.scoredFromHistory);
    expect(cost.statementsPerItem).toBeLessThan(0.25);
  });

  it('per batch with open journeys: every open instance is scored for drop-off, set-based', async () => {
    const base = activityBatch(TENANT, PROFILES, PER_PROFILE, NOW, 4).filter((i) => i.kind !== 'journey');
    const profileIds = [...new Set(base.filter((i) => i.kind !== 'segment').map((i) => i.profileId))];
    const at = new Date(NOW - 30 * 60_000).toISOString();
    // every customer sits at the second step of an onboarding journey
    const journeys: RecordActivityJob[] = profileIds.map((profileId, p) => ({
      tenantId: TENANT,
      profileId,
      kind: 'journey',
      instanceId: syntheticId(14, 40_000 + p),
      journeyId: syntheticId(15, 2),
      journeyName: 'Card activation',
      state: 'active',
      stepIndex: 1,
      stepCount: 3,
      step: 'id_upload',
      stepReachedAt: at,
      stepSlaMs: 600_000,
      startedAt: at,
      retries: 0,
      endedAt: null,
      observedAt: at,
    }));
    const items = [...base, ...journeys];
    const inJob = { ...risk.deps, config: { ...risk.deps.config, risk: { ...risk.deps.config.risk, scoreDebounceMs: 0 } } };
    const cost = await measure(items.length, () => recordActivity({ id: 'journeys', data: { tenantId: TENANT, items } }, inJob, new Date(NOW)));
    console.log(`risk stage, per batch with open journeys (${usePostgres ? 'PostgreSQL' : 'SQLite'}, ${items.length} items, ${journeys.length} open instances): ${JSON.stringify(cost)}`);
    const instanceIds = journeys.map((j) => (j as Extract<RecordActivityJob, { kind: 'journey' }>).instanceId);
    const scored = await forkAcrossTenants(risk.deps.orm).find(RiskScore, { tenantId: TENANT, kind: 'drop_off', journeyInstanceId: { $in: instanceIds } });
    expect(new Set(scored.map((s) => s.journeyInstanceId)).size).toBe(instanceIds.length);
    // one history per instance, each row its profile's
    const profileOf = new Map(journeys.map((j) => [(j as Extract<RecordActivityJob, { kind: 'journey' }>).instanceId, j.profileId]));
    expect(scored.filter((s) => profileOf.get(s.journeyInstanceId!) !== s.profileId)).toEqual([]);
    // the instances cost a few statements for the whole batch, not a few per customer
    expect(cost.statementsPerItem).toBeLessThan(0.25);
  });

  it('the hop: event → riskChanged scored in the record-activity job vs in a follow-up score-profile job', async () => {
    const listener = await readyRedisPubSub(env.config.redisUrl, env.config.queuePrefix, shutdown);
    const sub = await listenTo(listener, risk.deps.redis, RISK_CHANGED, 'hop', env.config.queuePrefix);
    startScoreProfileWorker(risk.deps);
    const latencies = async (debounceMs: number, seed: number) => {
      const deps = { ...risk.deps, config: { ...risk.deps.config, risk: { ...risk.deps.config.risk, scoreDebounceMs: debounceMs } } };
      const ms: number[] = [];
      for (let n = 0; n < 20; n++) {
        const [item] = activityBatch('hop', 1, 1, NOW, seed * 100 + n);
        const start = performance.now();
        await recordActivity({ id: `hop-${seed}-${n}`, data: { tenantId: 'hop', items: [item] } }, deps);
        await waitFor(() => sub.events.some((e) => e.profileId === item.profileId), 10_000, 1);
        ms.push(performance.now() - start);
      }
      ms.sort((a, b) => a - b);
      return { p50: Math.round(ms[10] * 10) / 10, max: Math.round(ms[19] * 10) / 10 };
    };
    const inJob = await latencies(0, 1);
    const hop = await latencies(1, 2);
    console.log(`risk stage, event → riskChanged (${usePostgres ? 'PostgreSQL' : 'SQLite'}, ms): in the job ${JSON.stringify(inJob)}, via a score-profile job (1 ms delay) ${JSON.stringify(hop)}`);
    await sub.stop();
    expect(inJob.p50).toBeGreaterThan(0);
  });
});
