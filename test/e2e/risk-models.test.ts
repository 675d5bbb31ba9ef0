import { queueScoreProfile, SCORE_PROFILE } from '../../subgraphs/common/queues';
import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { ActivityEvent } from '../../subgraphs/risk/entities/activity-event.entity';
import { ActivitySignal } from '../../subgraphs/risk/entities/activity-signal.entity';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { seedSyntheticTenant, syntheticId } from '../fixtures/synthetic-tenant';
import { waitFor } from '../fixtures/wait-for';

const DAY = 86_400_000;
const MODEL_FIELDS = 'id kind version status active progress features metrics error trainedAt activatedAt';
const TRAIN = /* GraphQL */ `
  mutation ($input: TrainModelInput!) { trainModel(input: $input) { ${MODEL_FIELDS} } }
`;
const churnInput = {
  kind: 'CHURN',
  label: { event: 'Subscription Cancelled', withinDays: 30 },
  features: { events: ['Feature Used'] },
  window: { everyDays: 14, count: 6 },
  holdoutFraction: 0.3,
  l2: 1,
};

describe('risk models through the gateway: train, activate, score, read', () => {
  let stack: Stack;
  let admin: string;
  let reader: string;
  let otherAdmin: string;
  const now = Date.now();

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key('shop', ['admin']);
    reader = await stack.key('shop', ['risk:read', 'profiles:read']);
    otherAdmin = await stack.key('other-shop', ['admin']);
    await seedSyntheticTenant(forkAcrossTenants(stack.subgraphs.risk.deps.orm), 'shop', 300, now);
  }, 120_000);
  afterAll(() => stack?.stop());

  it('lets only admins train, and refuses a label that says two things', async () => {
    const forbidden = await gql(stack.gateway.url, TRAIN, { input: churnInput }, bearer(reader));
    expect(forbidden.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const both = await gql(stack.gateway.url, TRAIN, { input: { ...churnInput, label: { event: 'Subscription Cancelled', withinDays: 30, inactiveDays: 60 } } }, bearer(admin));
    expect(both.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: expect.stringMatching(/either `event` with `withinDays`, or `inactiveDays`/) });
    const lifetime = await gql(stack.gateway.url, TRAIN, { input: { ...churnInput, kind: 'LIFETIME' } }, bearer(admin));
    expect(lifetime.errors?.[0].message).toMatch(/fitLifetimeModel/);
  });

  it('trains in the background, reports held-out quality, activates, and scores profiles with it', async () => {
    const queued = await gql(stack.gateway.url, TRAIN, { input: churnInput }, bearer(admin));
    expect(queued.errors).toBeUndefined();
    const id = queued.data!.trainModel.id as string;
    expect(queued.data!.trainModel).toMatchObject({ kind: 'CHURN', version: 1, active: false });

    const modelOf = async (key = reader) => (await gql(stack.gateway.url, `query($id: ID!) { model(id: $id) { ${MODEL_FIELDS} } }`, { id }, bearer(key))).data?.model;
    await waitFor(async () => (await modelOf())?.status === 'READY', 60_000, 250);
    const ready = await modelOf();
    expect(ready.progress).toBe(1);
    expect(ready.metrics.holdout.rocAuc).toBeGreaterThan(0.65);
    expect(ready.features).toContain('days_since_last_event');
    expect(await modelOf(otherAdmin)).toBeNull(); // another tenant cannot see it

    const activated = await gql(stack.gateway.url, `mutation($id: ID!) { activateModel(id: $id) { id active activatedAt } }`, { id }, bearer(admin));
    expect(activated.errors).toBeUndefined();
    expect(activated.data!.activateModel.active).toBe(true);
    const listed = await gql(stack.gateway.url, `{ models(kind: CHURN) { id version active } }`, {}, bearer(reader));
    expect(listed.data!.models).toEqual([{ id, version: 1, active: true }]);
    expect((await gql(stack.gateway.url, `{ models { id } }`, {}, bearer(otherAdmin))).data!.models).toEqual([]);

    // a real profile whose activity stopped 42 days ago after friction: scored by the active model
    const created = await gql(stack.gateway.url, `mutation { upsertProfile(input: { identities: [{ type: USER_ID, value: "fading" }], traits: { plan: "pro" } }) { id } }`, {}, bearer(admin));
    const profileId = created.data!.upsertProfile.id as string;
    const em = forkAcrossTenants(stack.subgraphs.risk.deps.orm);
    for (let d = 120, i = 0; d > 40; d -= 3, i++) {
      em.create(ActivityEvent, { tenantId: 'shop', profileId, eventId: syntheticId(8, i), type: 'track', name: 'Feature Used', timestamp: new Date(now - d * DAY), revenue: null, traits: {} });
    }
    em.create(ActivitySignal, { tenantId: 'shop', profileId, signalId: syntheticId(8, 999), type: 'support_burst', severity: 0.9, detectedAt: new Date(now - 42 * DAY), summary: '4 support tickets in 2 days' });
    await em.flush();
    await queueScoreProfile(stack.subgraphs.risk.deps.queues.get(SCORE_PROFILE), { tenantId: 'shop', profileId, reason: 'test' }, 0, 'e2e');

    const riskOf = async () =>
      (
        await gql(
          stack.gateway.url,
          `query($id: ID!) { profile(id: $id) { traits computedTraits risk { churn score bucket model { id version name } reasons { factor contribution description evidence } scoredAt } riskHistory(first: 5) { score } } }`,
          { id: profileId },
          bearer(reader),
        )
      ).data?.profile;
    await waitFor(async () => (await riskOf())?.risk?.model.id === id, 20_000, 200);
    const profile = await riskOf();
    expect(profile.traits).toEqual({ plan: 'pro' });
    expect(profile.risk.model).toEqual({ id, version: 1, name: 'churn' });
    expect(profile.risk.score).toBeCloseTo(profile.risk.churn * 100, 1);
    expect(profile.risk.reasons.length).toBeGreaterThan(0);
    expect(profile.risk.reasons.map((r: { factor: string }) => r.factor)).toContain('days_since_last_event');
    expect(profile.risk.reasons.find((r: { factor: string }) => r.factor === 'days_since_last_event').description).toMatch(/no activity for 42 days vs usual 3/);
    expect(profile.riskHistory.length).toBeGreaterThanOrEqual(1);
    // the first score is a crossing: its bucket is pushed to the profile's computed traits
    await waitFor(async () => Boolean((await riskOf())?.computedTraits?.risk), 10_000, 200);
    const latest = await riskOf();
    expect(latest.computedTraits.risk).toMatchObject({ churnBucket: latest.risk.bucket.toLowerCase() });
  }, 120_000);

  it('applies the documented defaults of enum inputs (inactivity on ANY activity; lifetime in WEEKS)', async () => {
    const modelOf = async (id: string) => (await gql(stack.gateway.url, `query($id: ID!) { model(id: $id) { status error settings metrics } }`, { id }, bearer(reader))).data?.model;
    const inactivity = await gql(stack.gateway.url, TRAIN, { input: { ...churnInput, label: { inactiveDays: 30 } } }, bearer(admin));
    expect(inactivity.errors).toBeUndefined();
    const lifetime = await gql(stack.gateway.url, `mutation($at: DateTimeISO!) { fitLifetimeModel(input: { calibrationEnd: $at }) { id } }`, { at: new Date(now - 30 * DAY).toISOString() }, bearer(admin));
    expect(lifetime.errors).toBeUndefined();
    const [a, b] = [inactivity.data!.trainModel.id as string, lifetime.data!.fitLifetimeModel.id as string];
    await waitFor(async () => ['READY', 'FAILED'].includes((await modelOf(a))?.status) && ['READY', 'FAILED'].includes((await modelOf(b))?.status), 60_000, 250);
    const [churn, fit] = [await modelOf(a), await modelOf(b)];
    expect(churn.settings.label).toEqual({ kind: 'inactivity', days: 30, activity: 'any' });
    expect(churn).toMatchObject({ status: 'READY', error: null });
    expect(fit.settings.timeUnit).toBe('weeks');
    expect(fit).toMatchObject({ status: 'READY', error: null });
    expect(fit.metrics.customers).toBeGreaterThan(100);
    expect(fit.metrics.bgNbd.r).toBeGreaterThan(0);
  }, 120_000);
});
