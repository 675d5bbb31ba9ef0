import { AlertOutcome, AlertStatus } from '../../subgraphs/actions/entities/alert.entity';
import { forkForTenant } from '../../subgraphs/common/tenant-filter';
import { RiskBucket, RiskScore } from '../../subgraphs/risk/entities/risk-score.entity';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { ActionKpiSeed, kpiProfile } from '../fixtures/action-kpi-seed';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const KPIS = /* GraphQL */ `
  query($from: DateTimeISO!, $to: DateTimeISO!) {
    kpis(from: $from, to: $to) {
      from to
      churn { activeProfiles activeProfilesAtStart meanProbability meanProbabilityAtStart change sampleNote }
      clv { totalAtStart totalAtEnd growth sampleNote }
      revenueAtRisk { atStart atEnd sampleNote }
      proactiveResolutionRate { alerts resolvedProactively rate { value low high } sampleNote }
      nextBestActionAccuracy { treated { customers goalsMet rate { value } } control { customers goalsMet rate { value } } difference { value low high } sampleNote }
      signalToFirstAction { count p50Ms p90Ms sampleNote }
      nps { responses promoters passives detractors score byWeek { weekStart responses score } sampleNote }
    }
  }
`;
const INGEST = `mutation($events: [EventInput!]!) { ingestEvents(events: $events) { accepted errors { index message } } }`;
const DAY = 86_400_000;
const MINUTE = 60_000;
const FROM = new Date('2026-06-01T00:00:00Z');
const TO = new Date('2026-07-01T00:00:00Z');
const at = (days: number) => new Date(FROM.getTime() + days * DAY);

/**
 * A CX lead reads the month's KPIs in one query through the gateway: risk answers `kpis` and its
 * churn, CLV and revenue-at-risk parts, actions and signals add theirs through entity resolution.
 * Two tenants have rows in every subgraph; each sees only its own numbers.
 */
describe('kpis through the gateway', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  }, 120_000);
  afterAll(() => stack?.stop());

  async function seedScores(tenantId: string, rows: { n: number; p: number; clv: number; at: Date }[]): Promise<void> {
    const em = forkForTenant(stack.subgraphs.risk.deps.orm, tenantId);
    for (const r of rows) {
      em.create(RiskScore, { tenantId, profileId: kpiProfile(r.n), kind: 'churn', score: r.p * 100, probability: r.p, bucket: RiskBucket.LOW, clv: r.clv, revenueAtRisk: r.p * r.clv, reasons: [], modelName: 'prior', scoredAt: r.at });
    }
    await em.flush();
  }
  async function sendNps(tenantId: string, answers: number[]): Promise<void> {
    const writer = await stack.key(tenantId, ['events:write']);
    const events = answers.map((score, i) => ({ messageId: `nps-${tenantId}-${i}`, type: 'track', event: 'NPS Submitted', userId: `u-${i}`, properties: { score }, timestamp: at(1 + i / 100).toISOString() }));
    const res = await gql(stack.gateway.url, INGEST, { events }, bearer(writer));
    expect(res.data?.ingestEvents).toEqual({ accepted: answers.length, errors: [] });
    const em = () => forkForTenant(stack.subgraphs.signals.deps.orm, tenantId);
    await waitFor(async () => (await em().count(Event, { tenantId, name: 'NPS Submitted' })) === answers.length, 30_000);
  }
  const times = (n: number, v: number) => Array.from({ length: n }, () => v);
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('answers every part for the caller’s tenant only, and refuses a bad period', async () => {
    // bank: 40 customers at p 0.2 / CLV 100 before the period; 1–20 rise to p 0.4 within it
    await seedScores('bank', [...range(1, 40).map((n) => ({ n, p: 0.2, clv: 100, at: at(-5) })), ...range(1, 20).map((n) => ({ n, p: 0.4, clv: 100, at: at(3) }))]);
    // rival: 35 customers at p 0.9 / CLV 1000 within the period
    await seedScores('rival', range(1, 35).map((n) => ({ n, p: 0.9, clv: 1000, at: at(1) })));
    await sendNps('bank', [...times(20, 10), ...times(10, 8), ...times(10, 2)]);
    await sendNps('rival', times(30, 0));

    const bank = new ActionKpiSeed(forkForTenant(stack.subgraphs.actions.deps.orm, 'bank'), 'bank');
    // 40 alerts, 30 resolved SAVED; each alert i got its first message after i + 1 minutes
    for (let i = 0; i < 40; i++) {
      const alert = bank.alert(i, at(2 + i / 10), i < 30 ? { status: AlertStatus.RESOLVED, outcome: AlertOutcome.SAVED } : {});
      if (i < 30) bank.run(alert, [{ status: 'sent', afterMs: (i + 1) * MINUTE }]);
    }
    // churn playbook: 30 treated (3 churn), 30 control (9 churn)
    for (let i = 0; i < 30; i++) bank.assignment('0199d000-0000-7000-8000-000000000001', 100 + i, 'treatment', 'churned', at(2), i < 3 ? 1 : 0);
    for (let i = 0; i < 30; i++) bank.assignment('0199d000-0000-7000-8000-000000000001', 200 + i, 'control', 'churned', at(2), i < 9 ? 1 : 0);
    await bank.flush();
    const rival = new ActionKpiSeed(forkForTenant(stack.subgraphs.actions.deps.orm, 'rival'), 'rival');
    for (let i = 0; i < 40; i++) rival.run(rival.alert(i, at(2), { status: AlertStatus.RESOLVED, outcome: AlertOutcome.CHURNED }), [{ status: 'sent', afterMs: DAY }]);
    for (let i = 0; i < 30; i++) rival.assignment('0199d000-0000-7000-8000-000000000002', 100 + i, 'treatment', 'churned', at(2), 1);
    await rival.flush();

    const period = { from: FROM.toISOString(), to: TO.toISOString() };
    const res = await gql(stack.gateway.url, KPIS, period, bearer(await stack.key('bank', ['risk:read'])));
    expect(res.errors).toBeUndefined();
    const k = res.data?.kpis;
    expect(k).toMatchObject({
      from: FROM.toISOString(),
      to: TO.toISOString(),
      churn: { activeProfiles: 40, activeProfilesAtStart: 40, sampleNote: null },
      clv: { totalAtStart: 4000, totalAtEnd: 4000, growth: 0, sampleNote: null },
      proactiveResolutionRate: { alerts: 40, resolvedProactively: 30, sampleNote: null },
      nextBestActionAccuracy: { treated: { customers: 30, goalsMet: 27 }, control: { customers: 30, goalsMet: 21 }, sampleNote: null },
      signalToFirstAction: { count: 30, p50Ms: 15 * MINUTE, p90Ms: 27 * MINUTE, sampleNote: null },
      nps: { responses: 40, promoters: 20, passives: 10, detractors: 10, score: 25, byWeek: [{ weekStart: FROM.toISOString(), responses: 40, score: 25 }], sampleNote: null },
    });
    // start 40 × 0.2; end (20 × 0.4 + 20 × 0.2) / 40 = 0.3; revenue at risk 800 → 1200
    expect(k.churn.meanProbabilityAtStart).toBeCloseTo(0.2, 12);
    expect(k.churn.meanProbability).toBeCloseTo(0.3, 12);
    expect(k.churn.change).toBeCloseTo(0.1, 12);
    expect(k.revenueAtRisk.atStart).toBeCloseTo(800, 9);
    expect(k.revenueAtRisk.atEnd).toBeCloseTo(1200, 9);
    expect(k.proactiveResolutionRate.rate.value).toBeCloseTo(0.75, 12);
    expect(k.nextBestActionAccuracy.difference.value).toBeCloseTo(27 / 30 - 21 / 30, 12);

    // the rival's key, same period: its own rows only
    const other = await gql(stack.gateway.url, KPIS, period, bearer(await stack.key('rival', ['risk:read'])));
    expect(other.errors).toBeUndefined();
    expect(other.data?.kpis).toMatchObject({
      churn: { activeProfiles: 35, activeProfilesAtStart: 0, meanProbabilityAtStart: null },
      proactiveResolutionRate: { alerts: 40, resolvedProactively: 0 },
      nextBestActionAccuracy: { treated: { customers: 30, goalsMet: 0 }, control: { customers: 0 }, difference: null },
      signalToFirstAction: { count: 40, p50Ms: DAY, p90Ms: DAY },
      nps: { responses: 30, promoters: 0, detractors: 30, score: -100 },
    });
    // a tenant with nothing: zeros and notes, no numbers
    const empty = await gql(stack.gateway.url, KPIS, period, bearer(await stack.key('newcomer', ['risk:read'])));
    expect(empty.data?.kpis).toMatchObject({
      churn: { activeProfiles: 0, meanProbability: null, sampleNote: '0 scored profiles at the start; at least 30 are needed' },
      proactiveResolutionRate: { alerts: 0, rate: null },
      nps: { responses: 0, score: null, byWeek: [], sampleNote: '0 survey responses; at least 30 are needed' },
    });

    const backwards = await gql(stack.gateway.url, KPIS, { from: TO.toISOString(), to: FROM.toISOString() }, bearer(await stack.key('bank', ['risk:read'])));
    expect(backwards.errors?.[0]).toMatchObject({ message: 'to: must be after from', extensions: { code: 'BAD_USER_INPUT' } });
    const tooLong = await gql(stack.gateway.url, KPIS, { from: FROM.toISOString(), to: new Date(FROM.getTime() + 367 * DAY).toISOString() }, bearer(await stack.key('bank', ['risk:read'])));
    expect(tooLong.errors?.[0]).toMatchObject({ message: 'to: a KPI period is at most 366 days', extensions: { code: 'BAD_USER_INPUT' } });
    // the analytics scope is required
    const unscoped = await gql(stack.gateway.url, KPIS, period, bearer(await stack.key('bank', ['events:write'])));
    expect(unscoped.data?.kpis ?? null).toBeNull();
    expect(unscoped.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  }, 120_000);
});
