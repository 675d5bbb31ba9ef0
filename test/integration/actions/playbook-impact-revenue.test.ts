import { actionsSubgraph } from '../../../subgraphs/actions';
import { welchTest } from '../../../subgraphs/actions/domain/uplift/welch';
import { PlaybookAssignment } from '../../../subgraphs/actions/entities/playbook-assignment.entity';
import { PlaybookOutcome } from '../../../subgraphs/actions/entities/playbook-outcome.entity';
import { MeasurementSettingsService } from '../../../subgraphs/actions/services/measurement-settings.service';
import { PlaybookRunService } from '../../../subgraphs/actions/services/playbook-runs.service';
import { PlaybookService } from '../../../subgraphs/actions/services/playbook.service';
import { applyPlaybookEvents } from '../../../subgraphs/actions/workers/playbook-events.worker';
import { CONTEXT_HEADER, signContext } from '../../../subgraphs/common/auth-context';
import type { PlaybookEventRef } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { gql } from '../../fixtures/stack';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const DAY = 86_400_000;
const profile = (n: number) => `01a21226-0000-7000-b000-${String(n).padStart(12, '0')}`;
const IMPACT = /* GraphQL */ `
  query($id: ID!, $from: DateTimeISO, $to: DateTimeISO) {
    playbookImpact(id: $id, from: $from, to: $to) {
      outcome status reason pValue degreesOfFreedom
      treated { customers outcomes meanRevenue } control { customers outcomes meanRevenue }
      meanDifference { value low high } revenueProtected { value low high } uplift { value } meanClv
    }
  }
`;
const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** A REVENUE playbook's impact through the actions subgraph: real SQL aggregates (SQLite or PostgreSQL), Welch's difference in means. */
describe('playbookImpact of a REVENUE outcome', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;
  const clock = new Date('2026-03-10T08:00:00Z');

  beforeAll(async () => {
    env = await createTestEnv();
    actions = await runSubgraph(actionsSubgraph, env.config, { port: 0, workers: false });
  }, 120_000);
  afterAll(async () => {
    await actions?.close();
    await env?.cleanup();
  });

  const em = (tenantId: string) => forkForTenant(actions.deps.orm, tenantId);
  const query = (tenantId: string, variables: Record<string, unknown>) =>
    gql(actions.url, IMPACT, variables, { [CONTEXT_HEADER]: signContext({ tenantId, keyId: 'k', scopes: ['risk:read'] }, env.config.secret, 'actions', 60) });

  it('gives the difference in mean revenue per customer with a Welch interval, per-arm means and revenue protected', async () => {
    const t = 'rev1';
    await new MeasurementSettingsService(em(t), t).update({ globalControlFraction: 0 });
    const playbook = await new PlaybookService(em(t), t).create({
      name: 'Upsell',
      holdoutFraction: 0.5,
      outcome: { kind: 'REVENUE', event: 'Order Completed', windowDays: 30, revenueProperty: 'amount' },
      steps: [{ id: 'pause', type: 'wait', seconds: 30 * 86_400, next: null }],
    });
    const { playbookId } = playbook;
    await em(t).transactional((tx) => new PlaybookRunService(tx, t, () => clock).enrol(Array.from({ length: 160 }, (_, i) => ({ playbookId, profileId: profile(i + 1), enrolledBy: 'test' }))));
    const log = await em(t).find(PlaybookAssignment, { playbookId }, { orderBy: { profileId: 'asc' } });
    const treated = log.filter((a) => a.arm === 'treatment').map((a) => a.profileId);
    const control = log.filter((a) => a.arm === 'control').map((a) => a.profileId);
    // about 80 per arm (holdout 0.5): loose bounds, beyond 4 sd
    expect(treated.length).toBeGreaterThanOrEqual(50);
    expect(control.length).toBeGreaterThanOrEqual(50);

    // known orders: every 2nd treated customer buys 20 + (i mod 7)·10, every 4th buys a second time (15);
    // every 3rd control customer buys 10 + (i mod 5)·10
    const at = new Date(clock.getTime() + DAY).toISOString();
    const events: PlaybookEventRef[] = [];
    const order = (profileId: string, amount: unknown, tag: string) => events.push({ eventId: `order-${tag}`, profileId, name: 'Order Completed', properties: { amount }, occurredAt: at });
    const treatedRevenue = treated.map((p, i) => {
      let total = 0;
      if (i % 2 === 0) {
        order(p, 20 + (i % 7) * 10, `t${i}a`);
        total += 20 + (i % 7) * 10;
      }
      if (i % 4 === 0) {
        order(p, 15, `t${i}b`);
        total += 15;
      }
      return total;
    });
    const controlRevenue = control.map((p, i) => {
      if (i % 3 !== 0) return 0;
      order(p, 10 + (i % 5) * 10, `c${i}`);
      return 10 + (i % 5) * 10;
    });
    // noise: another event, and an order of someone never enrolled
    events.push({ eventId: 'noise-1', profileId: treated[1], name: 'Page Viewed', properties: { amount: 1000 }, occurredAt: at });
    events.push({ eventId: 'noise-2', profileId: profile(9999), name: 'Order Completed', properties: { amount: 1000 }, occurredAt: at });
    await applyPlaybookEvents({ id: 'orders', data: { tenantId: t, events } }, actions.deps, () => clock);
    // a replayed batch counts nothing twice
    await applyPlaybookEvents({ id: 'orders-again', data: { tenantId: t, events } }, actions.deps, () => clock);
    expect(await em(t).count(PlaybookOutcome, { playbookId, kind: 'outcome' })).toBe(events.length - 2);

    const res = await query(t, { id: playbookId });
    expect(res.errors).toBeUndefined();
    const impact = res.data?.playbookImpact;
    const moments = (xs: number[]) => ({ n: xs.length, sum: xs.reduce((s, x) => s + x, 0), sumSquares: xs.reduce((s, x) => s + x * x, 0) });
    const expected = welchTest(moments(treatedRevenue), moments(controlRevenue), 0.95);
    expect(impact).toMatchObject({
      outcome: 'REVENUE',
      status: 'MEASURED',
      reason: null,
      treated: { customers: treated.length, outcomes: treatedRevenue.filter((r) => r > 0).length },
      control: { customers: control.length, outcomes: controlRevenue.filter((r) => r > 0).length },
      meanClv: null,
    });
    expect(impact.treated.meanRevenue).toBeCloseTo(mean(treatedRevenue), 9);
    expect(impact.control.meanRevenue).toBeCloseTo(mean(controlRevenue), 9);
    expect(impact.meanDifference.value).toBeCloseTo(mean(treatedRevenue) - mean(controlRevenue), 9);
    expect(impact.meanDifference.low).toBeCloseTo(expected.lower, 9);
    expect(impact.meanDifference.high).toBeCloseTo(expected.upper, 9);
    // the treated buy more: the difference is clearly positive
    expect(impact.meanDifference.low).toBeGreaterThan(0);
    expect(impact.pValue).toBeCloseTo(expected.pValue, 12);
    expect(impact.degreesOfFreedom).toBeCloseTo(expected.degreesOfFreedom, 9);
    expect(impact.revenueProtected.value).toBeCloseTo(expected.difference * treated.length, 6);
    expect(impact.revenueProtected.low).toBeCloseTo(expected.lower * treated.length, 6);
    expect(impact.revenueProtected.high).toBeCloseTo(expected.upper * treated.length, 6);

    // a period without customers says so instead of printing a number
    const empty = await query(t, { id: playbookId, from: new Date(clock.getTime() + DAY).toISOString(), to: new Date(clock.getTime() + 2 * DAY).toISOString() });
    expect(empty.data?.playbookImpact).toMatchObject({ status: 'INSUFFICIENT_SAMPLE', reason: 'treated has 0 customers; at least 30 per arm are needed', meanDifference: null, degreesOfFreedom: null, revenueProtected: null });
    // another tenant cannot see the playbook
    const other = await query('rev-other', { id: playbookId });
    expect(other.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  }, 120_000);
});
