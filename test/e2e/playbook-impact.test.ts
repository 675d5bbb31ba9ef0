import { newcombeInterval } from '../../subgraphs/actions/domain/uplift/newcombe';
import { twoProportionPValue } from '../../subgraphs/actions/domain/uplift/two-proportion-test';
import { PlaybookAssignment } from '../../subgraphs/actions/entities/playbook-assignment.entity';
import { PlaybookOutcome } from '../../subgraphs/actions/entities/playbook-outcome.entity';
import { PlaybookRunService } from '../../subgraphs/actions/services/playbook-runs.service';
import { PLAYBOOK_EVENTS, type PlaybookEventRef } from '../../subgraphs/common/queues';
import { forkForTenant } from '../../subgraphs/common/tenant-filter';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const CREATE = /* GraphQL */ `
  mutation($input: PlaybookInput!) { createPlaybook(input: $input) { id holdoutFraction outcome { kind event windowDays } warnings } }
`;
const IMPACT = /* GraphQL */ `
  query($id: ID!, $from: DateTimeISO, $to: DateTimeISO) {
    playbookImpact(id: $id, from: $from, to: $to) {
      playbookId outcome status reason confidence
      treated { customers outcomes rate { value low high } }
      control { customers outcomes rate { value low high } }
      uplift { value low high } relativeLift { value low high } pValue
      customersRetained { value low high } meanClv revenueProtected { value low high } cost roi { value low high }
      sampleRatio { pValue flagged } globalControl { customers outcomes }
    }
  }
`;
const profile = (n: number) => `01a21226-0000-7000-8000-${String(n).padStart(12, '0')}`;

/**
 * A CX lead asks what a playbook changed: 300 customers enrolled with a 30 % holdout, churn events
 * for a known share of each arm arrive on the action queue (twice), and `playbookImpact` through
 * the gateway gives the hand-computed counts, rates and uplift; a small playbook says its sample
 * is too small instead of printing a number.
 */
describe('playbookImpact through the gateway', () => {
  let stack: Stack;
  let admin: string;
  let reader: string;
  const tenant = 'bank';

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key(tenant, ['admin']);
    reader = await stack.key(tenant, ['risk:read']);
    const off = await gql(stack.gateway.url, `mutation { updateMeasurementSettings(input: { globalControlFraction: 0 }) { globalControlFraction } }`, {}, bearer(admin));
    expect(off.errors).toBeUndefined();
  });
  afterAll(() => stack?.stop());

  const em = () => forkForTenant(stack.subgraphs.actions.deps.orm, tenant);
  async function createPlaybook(name: string): Promise<string> {
    const input = { name, holdoutFraction: 0.3, outcome: { kind: 'CHURNED', event: 'Account Closed', windowDays: 30 }, steps: [{ id: 'pause', type: 'wait', seconds: 30 * 86400, next: null }] };
    const res = await gql(stack.gateway.url, CREATE, { input }, bearer(admin));
    expect(res.data?.createPlaybook).toMatchObject({ holdoutFraction: 0.3, outcome: { kind: 'CHURNED', event: 'Account Closed', windowDays: 30 }, warnings: [] });
    return res.data?.createPlaybook.id as string;
  }
  const enrol = (playbookId: string, from: number, count: number) =>
    em().transactional((tx) =>
      new PlaybookRunService(tx, tenant).enrol(Array.from({ length: count }, (_, i) => ({ playbookId, profileId: profile(from + i), enrolledBy: 'test', clv: 100 + ((from + i) % 7) * 50 }))),
    );

  it('matches a hand computation of counts, rates, uplift, p-value and mean CLV', async () => {
    const playbookId = await createPlaybook('Rescue');
    await enrol(playbookId, 1, 300);
    const log = await em().find(PlaybookAssignment, { playbookId }, { orderBy: { profileId: 'asc' } });
    const treated = log.filter((a) => a.arm === 'treatment');
    const control = log.filter((a) => a.arm === 'control');
    expect(treated.length + control.length).toBe(300);
    // a known share per arm churns: every 5th treated customer, every 2nd control customer
    const churners = [...treated.filter((_, i) => i % 5 === 0), ...control.filter((_, i) => i % 2 === 0)];
    const at = new Date(Date.now() + 60_000).toISOString();
    const events: PlaybookEventRef[] = churners.map((a, i) => ({ eventId: `close-${i}`, profileId: a.profileId, name: 'Account Closed', properties: {}, occurredAt: at }));
    // noise: another event, and a churn of a customer never enrolled
    events.push({ eventId: 'noise-1', profileId: treated[1].profileId, name: 'Page Viewed', properties: {}, occurredAt: at });
    events.push({ eventId: 'noise-2', profileId: profile(9999), name: 'Account Closed', properties: {}, occurredAt: at });
    const queue = stack.subgraphs.actions.deps.queues.get(PLAYBOOK_EVENTS);
    await queue.add(PLAYBOOK_EVENTS, { tenantId: tenant, events }, { jobId: `${tenant}-events-a` });
    await waitFor(async () => (await em().count(PlaybookOutcome, { playbookId })) === churners.length, 30_000);
    // the same batch again (a replay) counts nothing twice
    const replay = await queue.add(PLAYBOOK_EVENTS, { tenantId: tenant, events }, { jobId: `${tenant}-events-b` });
    await waitFor(async () => (await replay.getState()) === 'completed', 30_000);
    expect(await em().count(PlaybookOutcome, { playbookId })).toBe(churners.length);

    const res = await gql(stack.gateway.url, IMPACT, { id: playbookId }, bearer(reader));
    expect(res.errors).toBeUndefined();
    const impact = res.data?.playbookImpact;
    const nT = treated.length;
    const nC = control.length;
    const xT = Math.ceil(nT / 5);
    const xC = Math.ceil(nC / 2);
    expect(impact).toMatchObject({ playbookId, outcome: 'CHURNED', status: 'MEASURED', reason: null, confidence: 0.95, treated: { customers: nT, outcomes: xT }, control: { customers: nC, outcomes: xC }, globalControl: null, cost: 0, roi: null });
    expect(impact.treated.rate.value).toBeCloseTo(xT / nT, 12);
    expect(impact.control.rate.value).toBeCloseTo(xC / nC, 12);
    // churn is to reduce: uplift = control rate − treated rate, Newcombe interval, pooled z-test
    const uplift = newcombeInterval({ successes: xC, trials: nC }, { successes: xT, trials: nT });
    expect(impact.uplift.value).toBeCloseTo(xC / nC - xT / nT, 12);
    expect(impact.uplift.low).toBeCloseTo(uplift.lower, 12);
    expect(impact.uplift.high).toBeCloseTo(uplift.upper, 12);
    expect(impact.uplift.low).toBeGreaterThan(0);
    expect(impact.pValue).toBeCloseTo(twoProportionPValue({ successes: xT, trials: nT }, { successes: xC, trials: nC }), 12);
    expect(impact.customersRetained.value).toBeCloseTo((xC / nC - xT / nT) * nT, 9);
    const meanClv = treated.reduce((s, a) => s + a.clv!, 0) / nT;
    expect(impact.meanClv).toBeCloseTo(meanClv, 9);
    expect(impact.revenueProtected.value).toBeCloseTo((xC / nC - xT / nT) * nT * meanClv, 6);
    expect(impact.sampleRatio.flagged).toBe(false);

    // a period before anyone was assigned: nobody, so no number
    const empty = await gql(stack.gateway.url, IMPACT, { id: playbookId, from: '2020-01-01T00:00:00Z', to: '2020-02-01T00:00:00Z' }, bearer(reader));
    expect(empty.data?.playbookImpact).toMatchObject({ status: 'INSUFFICIENT_SAMPLE', treated: { customers: 0, rate: null }, uplift: null });
    const backwards = await gql(stack.gateway.url, IMPACT, { id: playbookId, from: '2030-01-01T00:00:00Z', to: '2020-01-01T00:00:00Z' }, bearer(reader));
    expect(backwards.errors?.[0]).toMatchObject({ message: 'to: must be after from', extensions: { code: 'BAD_USER_INPUT' } });
    // another tenant does not see the playbook
    const rival = await gql(stack.gateway.url, IMPACT, { id: playbookId }, bearer(await stack.key('rival', ['risk:read'])));
    expect(rival.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  }, 120_000);

  it('says INSUFFICIENT_SAMPLE with the reason below the minimum per arm', async () => {
    const playbookId = await createPlaybook('Small');
    await enrol(playbookId, 5000, 60);
    const res = await gql(stack.gateway.url, IMPACT, { id: playbookId }, bearer(reader));
    const impact = res.data?.playbookImpact;
    expect(impact).toMatchObject({ status: 'INSUFFICIENT_SAMPLE', uplift: null, pValue: null, revenueProtected: null });
    expect(impact.reason).toMatch(/^control has \d+ customers; at least 30 per arm are needed$/);
    expect(impact.treated.customers + impact.control.customers).toBe(60);
  });
});
