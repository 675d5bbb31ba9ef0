import { PRIOR_MODEL_REF as PRIOR } from '../../subgraphs/risk/domain/churn/prior';
import { runSubgraph } from '../../subgraphs/common/run-subgraph';
import { createRiskService, riskSubgraph } from '../../subgraphs/risk';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { subscribe } from '../fixtures/ws-client';

const RISK_CHANGED = /* GraphQL */ `
  subscription Watch($filter: RiskChangedFilter) {
    riskChanged(filter: $filter) {
      score
      previousScore
      bucket
      crossing
      kind
      profile { id traits identities { type value } }
    }
  }
`;

async function createProfile(stack: Stack, key: string, userId: string, traits: Record<string, unknown>) {
  const res = await gql(
    stack.gateway.url,
    `mutation($input: UpsertProfileInput!) { upsertProfile(input: $input) { id } }`,
    { input: { identities: [{ type: 'USER_ID', value: userId }], traits } },
    bearer(key),
  );
  return res.data!.upsertProfile.id as string;
}

/** Subscribers must be registered with Redis before the publish; a short pause covers the hop. */
const settle = () => new Promise((r) => setTimeout(r, 300));

describe('riskChanged through the gateway', () => {
  let stack: Stack;
  let keyA: string;
  let keyB: string;

  beforeAll(async () => {
    stack = await startStack();
    keyA = await stack.key('tenant-a', ['admin']);
    keyB = await stack.key('tenant-b', ['admin']);
  });
  afterAll(() => stack?.stop());

  it('delivers a score published by the risk subgraph, with profile fields hydrated from profiles', async () => {
    const profileId = await createProfile(stack, keyA, 'sub-1', { plan: 'gold' });
    const sub = subscribe(stack.gateway.wsUrl, RISK_CHANGED, {}, { authorization: `Bearer ${keyA}` });
    try {
      await settle();
      await createRiskService(stack.subgraphs.risk.deps, 'tenant-a').record({
        profileId,
        kind: 'churn',
        probability: 0.8,
        reasons: [],
        model: PRIOR,
      });
      const [event] = await sub.next(1);
      expect(event.errors).toBeUndefined();
      expect(event.data!.riskChanged).toEqual({
        score: 80,
        previousScore: null,
        bucket: 'HIGH',
        crossing: true,
        kind: 'churn',
        profile: { id: profileId, traits: { plan: 'gold' }, identities: [{ type: 'USER_ID', value: 'sub-1' }] },
      });
    } finally {
      await sub.close();
    }
  });

  it('fans out across instances: a score recorded by another risk instance reaches the subscriber', async () => {
    const profileId = await createProfile(stack, keyA, 'fanout-1', {});
    // a second risk process, not connected to the gateway at all, sharing only Redis and the database
    const other = await runSubgraph(riskSubgraph, stack.config, { port: 0, workers: false });
    const sub = subscribe(stack.gateway.wsUrl, RISK_CHANGED, { filter: { profileIds: [profileId] } }, { authorization: `Bearer ${keyA}` });
    try {
      await settle();
      await createRiskService(other.deps, 'tenant-a').record({ profileId, kind: 'churn', probability: 0.42, reasons: [], model: PRIOR });
      const [event] = await sub.next(1);
      expect(event.data!.riskChanged).toMatchObject({ score: 42, bucket: 'LOW', profile: { id: profileId } });
    } finally {
      await sub.close();
      await other.close();
    }
  });

  it('never delivers one tenant’s changes to another tenant', async () => {
    const profileA = await createProfile(stack, keyA, 'iso-a', {});
    const profileB = await createProfile(stack, keyB, 'iso-b', {});
    const subA = subscribe(stack.gateway.wsUrl, RISK_CHANGED, {}, { authorization: `Bearer ${keyA}` });
    const subB = subscribe(stack.gateway.wsUrl, RISK_CHANGED, {}, { Authorization: `Bearer ${keyB}` });
    try {
      await settle();
      await createRiskService(stack.subgraphs.risk.deps, 'tenant-a').record({ profileId: profileA, kind: 'churn', probability: 0.6, reasons: [], model: PRIOR });
      await createRiskService(stack.subgraphs.risk.deps, 'tenant-b').record({ profileId: profileB, kind: 'churn', probability: 0.3, reasons: [], model: PRIOR });
      await subA.next(1);
      await subB.next(1);
      await settle();
      expect(subA.results.map((r) => r.data!.riskChanged.profile.id)).toEqual([profileA]);
      expect(subB.results.map((r) => r.data!.riskChanged.profile.id)).toEqual([profileB]);
    } finally {
      await Promise.all([subA.close(), subB.close()]);
    }
  });

  it('applies the subscriber’s filter and stays quiet for moves below the delta', async () => {
    const profileId = await createProfile(stack, keyA, 'filter-1', {});
    const sub = subscribe(
      stack.gateway.wsUrl,
      RISK_CHANGED,
      { filter: { profileIds: [profileId], minScore: 50 } },
      { authorization: `Bearer ${keyA}` },
    );
    try {
      await settle();
      const risk = createRiskService(stack.subgraphs.risk.deps, 'tenant-a');
      await risk.record({ profileId, kind: 'churn', probability: 0.2, reasons: [], model: PRIOR }); // below minScore
      await risk.record({ profileId, kind: 'churn', probability: 0.55, reasons: [], model: PRIOR }); // delivered
      await risk.record({ profileId, kind: 'churn', probability: 0.57, reasons: [], model: PRIOR }); // < delta: not published
      await risk.record({ profileId, kind: 'churn', probability: 0.9, reasons: [], model: PRIOR }); // delivered
      await sub.next(2);
      await settle();
      expect(sub.results.map((r) => [r.data!.riskChanged.score, r.data!.riskChanged.bucket])).toEqual([
        [55, 'MEDIUM'],
        [90, 'HIGH'],
      ]);
    } finally {
      await sub.close();
    }
  });

  it('refuses a subscriber whose key lacks risk:subscribe', async () => {
    const key = await stack.key('tenant-a', ['profiles:read', 'risk:read']);
    const sub = subscribe(stack.gateway.wsUrl, RISK_CHANGED, {}, { authorization: `Bearer ${key}` });
    const [result] = await sub.next(1);
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await sub.close();
  });

  it('closes the connection at connection_init for a bad key', async () => {
    const sub = subscribe(stack.gateway.wsUrl, RISK_CHANGED, {}, { authorization: 'Bearer fsk_not-a-real-key' });
    await expect(sub.closedWith).resolves.toBe(4403);
    await sub.close();
  });
});
