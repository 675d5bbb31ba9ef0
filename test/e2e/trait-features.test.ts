import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { ActivityEvent } from '../../subgraphs/risk/entities/activity-event.entity';
import { ModelVersion } from '../../subgraphs/risk/entities/model-version.entity';
import { rawCoefficients, type LogisticModel } from '../../subgraphs/risk/domain/churn/logistic-regression';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { CANCELLED, DAY, LABEL_DAYS, telcoTenant } from '../fixtures/telco-tenant';
import { waitFor } from '../fixtures/wait-for';

const TENANT = 'telco';
const CUSTOMERS = 400;
/** Events per POST to /v1/batch. */
const POST_SIZE = 100;
const MODEL_FIELDS = 'id status progress features metrics error';
const PIPELINE = /* GraphQL */ `{ pipelineStatus { tenants { tenantId caughtUp } } }`;

/**
 * Issue 11: customer attributes sent by `identify` must reach risk and carry signal in a churn
 * model — including customers known only from their `identify` when the snapshot is taken.
 */
describe('trait features through /v1/batch (a Telco-like tenant)', () => {
  let stack: Stack;
  let admin: string;
  let writer: string;
  // midnight UTC a week ago: the same seeded data lands on the same dates all day
  const endsAt = Math.floor(Date.now() / DAY) * DAY - 7 * DAY;
  const tenant = telcoTenant(TENANT, CUSTOMERS, endsAt);

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key(TENANT, ['admin']);
    writer = await stack.key(TENANT, ['events:write']);
  }, 120_000);
  afterAll(() => stack?.stop());

  const post = async (batch: unknown[]): Promise<void> => {
    for (;;) {
      const res = await fetch(stack.gateway.url.replace(/\/graphql$/, '/v1/batch'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writer}:`).toString('base64')}` },
        body: JSON.stringify({ batch }),
      });
      if (res.status !== 429) {
        expect(res.status).toBe(200);
        return;
      }
      await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
    }
  };
  const riskEvents = () => forkAcrossTenants(stack.subgraphs.risk.deps.orm).count(ActivityEvent, { tenantId: TENANT });
  const caughtUp = async () => {
    const res = await gql(stack.gateway.url, PIPELINE, {}, bearer(admin));
    return res.data?.pipelineStatus.tenants.find((t: { tenantId: string }) => t.tenantId === TENANT)?.caughtUp === true;
  };

  it('hands every event, identify included, to risk', async () => {
    for (let i = 0; i < tenant.events.length; i += POST_SIZE) await post(tenant.events.slice(i, i + POST_SIZE));
    await waitFor(async () => (await riskEvents()) === tenant.events.length && (await caughtUp()), 120_000, 250);

    // a customer who only ever sent an identify: its traits are in risk's copy of its activity
    const quiet = tenant.customers.find((c) => c.identifyOnly && !c.churns)!;
    const found = await gql(stack.gateway.url, `query($v: String!) { profileByIdentity(type: USER_ID, value: $v) { id } }`, { v: quiet.userId }, bearer(admin));
    const profileId = found.data!.profileByIdentity.id as string;
    const copies = await forkAcrossTenants(stack.subgraphs.risk.deps.orm).find(ActivityEvent, { tenantId: TENANT, profileId });
    expect(copies.map((e) => ({ type: e.type, traits: e.traits }))).toEqual([
      { type: 'identify', traits: { contract: quiet.contract, tenureMonths: quiet.tenureMonths, monthlyCharges: quiet.monthlyCharges } },
    ]);
  }, 180_000);

  it('trains a churn model whose trait coefficients carry the signal', async () => {
    const input = {
      kind: 'CHURN',
      label: { event: CANCELLED, withinDays: LABEL_DAYS },
      features: {
        traits: [
          { name: 'contract', type: 'CATEGORICAL' },
          { name: 'tenureMonths', type: 'NUMERIC' },
          { name: 'monthlyCharges', type: 'NUMERIC' },
        ],
      },
      snapshotDates: [tenant.snapshot.toISOString()],
      holdoutFraction: 0.3,
      l2: 1,
    };
    const queued = await gql(stack.gateway.url, `mutation ($input: TrainModelInput!) { trainModel(input: $input) { ${MODEL_FIELDS} } }`, { input }, bearer(admin));
    expect(queued.errors).toBeUndefined();
    const id = queued.data!.trainModel.id as string;
    const modelOf = async () => (await gql(stack.gateway.url, `query($id: ID!) { model(id: $id) { ${MODEL_FIELDS} } }`, { id }, bearer(admin))).data?.model;
    await waitFor(async () => ['READY', 'FAILED'].includes((await modelOf())?.status), 60_000, 250);
    const model = await modelOf();
    expect(model).toMatchObject({ status: 'READY', error: null });
    expect(model.features).toEqual(expect.arrayContaining(['trait:contract', 'trait:tenureMonths', 'trait:monthlyCharges']));

    // every customer is in the population at the snapshot, the 40 seen only by identify included
    expect(tenant.customers.filter((c) => c.identifyOnly)).toHaveLength(CUSTOMERS / 10);
    expect(model.metrics).toMatchObject({ profiles: CUSTOMERS, rows: CUSTOMERS, positives: tenant.customers.filter((c) => c.churns).length });
    expect(model.metrics.holdout.rocAuc).toBeGreaterThan(0.75);
    expect(model.metrics.quality.informative).toBe(true);

    const stored = await forkAcrossTenants(stack.subgraphs.risk.deps.orm).findOneOrFail(ModelVersion, { id });
    const { coefficients } = rawCoefficients((stored.params as { model: LogisticModel }).model);
    expect(coefficients['trait:contract=month-to-month']).toBeGreaterThan(0);
    expect(coefficients['trait:contract=two-year']).toBeLessThan(0);
    expect(coefficients['trait:contract=month-to-month']).toBeGreaterThan(coefficients['trait:contract=one-year']);
    expect(coefficients['trait:tenureMonths']).toBeLessThan(0);
    expect(coefficients['trait:monthlyCharges']).toBeGreaterThan(0);
  }, 120_000);
});
