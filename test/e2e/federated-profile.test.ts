import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { PRIOR_MODEL_REF as PRIOR } from '../../subgraphs/risk/domain/churn/prior';
import { createRiskService } from '../../subgraphs/risk';
import { SignalService } from '../../subgraphs/signals/services/signal.service';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const PROFILE_QUERY = /* GraphQL */ `
  query Whole($id: ID!) {
    profile(id: $id) {
      id
      traits
      identities { type value }
      signals { type severity evidence }
      risk { score bucket churn model { id version name } }
      alerts { type status score }
    }
  }
`;

describe('createGateway: one profile from four subgraphs', () => {
  let stack: Stack;
  let key: string;
  let profileId: string;

  beforeAll(async () => {
    stack = await startStack();
    key = await stack.key('acme', ['admin']);
    const created = await gql(
      stack.gateway.url,
      `mutation { upsertProfile(input: { identities: [{ type: USER_ID, value: "u-1" }], email: "Ada@Example.com", traits: { plan: "pro" } }) { id } }`,
      {},
      bearer(key),
    );
    if (!created.data) throw new Error(JSON.stringify(created));
    profileId = created.data.upsertProfile.id;

    const signals = new SignalService(forkAcrossTenants(stack.subgraphs.signals.deps.orm), 'acme');
    await signals.record({
      profileId,
      type: 'retry_loop',
      severity: 0.8,
      detectedAt: new Date(),
      evidence: { attempts: 3, step: 'id_upload' },
      dedupeKey: `retry_loop-${profileId}-1`,
    });
    await createRiskService(stack.subgraphs.risk.deps, 'acme').record({
      profileId,
      kind: 'churn',
      probability: 0.82,
      reasons: [],
      model: PRIOR,
    });
    // the crossing into High is queued for the actions worker, which raises the alert
    await waitFor(async () => {
      const res = await gql(stack.gateway.url, `query($id: ID!) { profile(id: $id) { alerts { id } } }`, { id: profileId }, bearer(key));
      return res.data?.profile?.alerts?.length === 1;
    });
  });

  afterAll(() => stack?.stop());

  it('returns fields owned by profiles, signals, risk and actions in one response', async () => {
    const res = await gql(stack.gateway.url, PROFILE_QUERY, { id: profileId }, bearer(key));
    expect(res.errors).toBeUndefined();
    expect(res.data!.profile).toEqual({
      id: profileId,
      traits: { plan: 'pro' },
      identities: expect.arrayContaining([
        { type: 'USER_ID', value: 'u-1' },
        { type: 'EMAIL', value: 'ada@example.com' },
      ]),
      signals: [{ type: 'retry_loop', severity: 0.8, evidence: { attempts: 3, step: 'id_upload' } }],
      risk: { score: 82, bucket: 'HIGH', churn: 0.82, model: { id: null, version: null, name: 'prior' } },
      alerts: [{ type: 'risk_high', status: 'OPEN', score: 82 }],
    });
  });

  it('upsertProfile is idempotent: the same identities find the same profile', async () => {
    const again = await gql(
      stack.gateway.url,
      `mutation { upsertProfile(input: { identities: [{ type: USER_ID, value: "u-1" }], traits: { seats: 3 } }) { id traits } }`,
      {},
      bearer(key),
    );
    expect(again.data!.upsertProfile).toEqual({ id: profileId, traits: { plan: 'pro', seats: 3 } });
  });
});
