import { randomUUID } from 'node:crypto';

import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { riskSubgraph } from '../../../subgraphs/risk';
import { ActivityEvent } from '../../../subgraphs/risk/entities/activity-event.entity';
import { ModelKind, ModelStatus, ModelVersion } from '../../../subgraphs/risk/entities/model-version.entity';
import { RiskBucket, RiskScore } from '../../../subgraphs/risk/entities/risk-score.entity';
import { forgetActiveModels } from '../../../subgraphs/risk/services/active-models';
import { BaseKpisService } from '../../../subgraphs/risk/services/base-kpis.service';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const DAY = 86_400_000;
const FROM = new Date('2026-06-01T00:00:00Z');
const TO = new Date('2026-07-01T00:00:00Z');
const at = (days: number) => new Date(FROM.getTime() + days * DAY);
const profile = (n: number) => `01a21226-0000-7000-8000-${String(n).padStart(12, '0')}`;

/**
 * The risk part of `kpis`: the active base (latest churn score per profile) at the start and at
 * the end of the period, from seeded score histories, against hand-computed numbers.
 */
describe('BaseKpisService', () => {
  let env: TestEnv;
  let risk: RunningSubgraph;

  beforeAll(async () => {
    env = await createTestEnv();
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
  }, 120_000);
  afterAll(async () => {
    await risk?.close();
    await env?.cleanup();
  });

  const em = (tenantId: string) => forkForTenant(risk.deps.orm, tenantId);
  async function seed(tenantId: string, rows: { n: number; p: number; clv: number | null; at: Date; kind?: string; journey?: string }[]): Promise<void> {
    const fork = em(tenantId);
    for (const r of rows) {
      fork.create(RiskScore, {
        tenantId,
        profileId: profile(r.n),
        kind: r.kind ?? 'churn',
        journeyInstanceId: r.journey ?? null,
        score: r.p * 100,
        probability: r.p,
        bucket: RiskBucket.LOW,
        clv: r.clv,
        revenueAtRisk: r.clv === null ? null : r.p * r.clv,
        reasons: [],
        modelName: 'prior',
        scoredAt: r.at,
      });
    }
    await fork.flush();
  }
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('measures the base at both ends of the period from each profile’s latest score', async () => {
    const t = 'kpi-a';
    await seed(t, [
      // 40 profiles scored before the period: p 0.25, CLV 100 (profile 40 first exactly at `from`: it belongs to the period, so only to the end)
      ...range(1, 40).map((n) => ({ n, p: 0.25, clv: 100, at: n === 40 ? FROM : at(-10) })),
      // 1–20 rescored during the period: p 0.5, CLV 100
      ...range(1, 20).map((n) => ({ n, p: 0.5, clv: 100, at: at(5) })),
      // 41–50 first scored during the period: p 0.1, CLV 200
      ...range(41, 50).map((n) => ({ n, p: 0.1, clv: 200, at: at(10) })),
      // after the period, and other kinds of risk: none of them counts
      { n: 1, p: 0.99, clv: 9999, at: TO },
      { n: 2, p: 0.99, clv: 9999, at: at(31) },
      { n: 3, p: 0.99, clv: null, at: at(6), kind: 'drop_off', journey: profile(777) },
    ]);
    // another tenant's base, much riskier, on the same days
    await seed('kpi-b', range(1, 60).map((n) => ({ n, p: 0.9, clv: 1000, at: at(1) })));

    const kpis = await new BaseKpisService(em(t), t).of({ from: FROM, to: TO });
    // start: 39 × 0.25; end: 20 × 0.5 + 20 × 0.25 + 10 × 0.1 = 16 over 50
    expect(kpis.churn).toMatchObject({ activeProfiles: 50, activeProfilesAtStart: 39, sampleNote: null });
    expect(kpis.churn.meanProbabilityAtStart).toBeCloseTo(0.25, 12);
    expect(kpis.churn.meanProbability).toBeCloseTo(0.32, 12);
    expect(kpis.churn.change).toBeCloseTo(0.07, 12);
    // CLV: 39 × 100 = 3900 → 40 × 100 + 10 × 200 = 6000, growth 2100 / 3900
    expect(kpis.clv).toMatchObject({ totalAtStart: 3900, totalAtEnd: 6000, sampleNote: null });
    expect(kpis.clv.growth).toBeCloseTo(2100 / 3900, 12);
    // revenue at risk: 39 × 25 = 975 → 20 × 50 + 20 × 25 + 10 × 20 = 1700
    expect(kpis.revenueAtRisk.atStart).toBeCloseTo(975, 9);
    expect(kpis.revenueAtRisk.atEnd).toBeCloseTo(1700, 9);

    // tenant B sees only its own 60 profiles
    const b = await new BaseKpisService(em('kpi-b'), 'kpi-b').of({ from: FROM, to: TO });
    expect(b.churn).toMatchObject({ activeProfiles: 60, activeProfilesAtStart: 0, meanProbabilityAtStart: null, change: null });
    expect(b.churn.meanProbability).toBeCloseTo(0.9, 12);
    expect(b.churn.sampleNote).toBe('0 scored profiles at the start; at least 30 are needed');
  });

  it('leaves out of the base the customers the active churn model’s label calls churned by then', async () => {
    const t = 'kpi-churned';
    // 50 profiles scored before the period (p 0.2), rescored in it (p 0.4)
    await seed(t, [...range(1, 50).map((n) => ({ n, p: 0.2, clv: 100, at: at(-5) })), ...range(1, 50).map((n) => ({ n, p: 0.4, clv: 100, at: at(5) }))]);
    const fork = em(t);
    const activity = (n: number, name: string, when: Date) =>
      fork.create(ActivityEvent, { tenantId: t, profileId: profile(n), eventId: randomUUID(), type: 'track', name, timestamp: when, revenue: null });
    // 1–5 closed their account before the period, 6–15 during it; 16 closed after it; 17–20 only browsed
    for (const n of range(1, 5)) activity(n, 'Account Closed', at(-2));
    for (const n of range(6, 15)) activity(n, 'Account Closed', at(12));
    activity(16, 'Account Closed', at(40));
    for (const n of range(17, 20)) activity(n, 'Page Viewed', at(-2));
    fork.create(ModelVersion, {
      tenantId: t,
      kind: ModelKind.CHURN,
      version: 1,
      status: ModelStatus.READY,
      active: true,
      settings: { label: { kind: 'event', event: 'Account Closed', withinDays: 28 } },
    });
    await fork.flush();
    forgetActiveModels(t);
    const kpis = await new BaseKpisService(em(t), t).of({ from: FROM, to: TO });
    // start: 50 − 5 closed = 45 at p 0.2; end: 50 − 15 = 35 at p 0.4
    expect(kpis.churn).toMatchObject({ activeProfilesAtStart: 45, activeProfiles: 35 });
    expect(kpis.churn.meanProbability).toBeCloseTo(0.4, 12);
    expect(kpis.clv).toMatchObject({ totalAtStart: 4500, totalAtEnd: 3500 });

    // an inactivity label: churned = nothing done in the 30 days before; only 17–20 did anything
    await em(t).nativeUpdate(ModelVersion, { tenantId: t, kind: ModelKind.CHURN }, { settings: { label: { kind: 'inactivity', days: 30, activity: 'any' } } });
    forgetActiveModels(t);
    const inactive = await new BaseKpisService(em(t), t).of({ from: FROM, to: TO });
    // at the start, 1–5 (closing is activity too) and 17–20 were active in the 30 days before it; at the end, 6–15
    expect(inactive.churn).toMatchObject({ activeProfilesAtStart: 9, activeProfiles: 10 });
  });

  it('says the sample is too small instead of printing a number', async () => {
    const t = 'kpi-small';
    await seed(t, range(1, 12).map((n) => ({ n, p: 0.4, clv: n <= 5 ? 50 : null, at: at(-1) })));
    const kpis = await new BaseKpisService(em(t), t).of({ from: FROM, to: TO });
    expect(kpis.churn).toEqual({ activeProfiles: 12, activeProfilesAtStart: 12, meanProbability: null, meanProbabilityAtStart: null, change: null, sampleNote: '12 scored profiles at the start; at least 30 are needed' });
    expect(kpis.clv).toEqual({ totalAtStart: null, totalAtEnd: null, growth: null, sampleNote: '5 profiles with a CLV at the start; at least 30 are needed' });
    expect(kpis.revenueAtRisk).toEqual({ atStart: null, atEnd: null, sampleNote: '5 profiles with a revenue at risk at the start; at least 30 are needed' });
  });
});
