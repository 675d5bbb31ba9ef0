import { PRIOR_MODEL_REF as PRIOR } from '../../subgraphs/risk/domain/churn/prior';
import { signContext } from '../../subgraphs/common/auth-context';
import { createRiskService } from '../../subgraphs/risk';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

describe('tenancy and trust through the gateway', () => {
  let stack: Stack;
  let adminA: string;
  let adminB: string;
  let profileA: string;
  let alertA: string;

  beforeAll(async () => {
    stack = await startStack();
    adminA = await stack.key('tenant-a', ['admin']);
    adminB = await stack.key('tenant-b', ['admin']);
    const res = await gql(
      stack.gateway.url,
      `mutation { upsertProfile(input: { identities: [{ type: USER_ID, value: "shared-id" }], traits: { secret: "a" } }) { id } }`,
      {},
      bearer(adminA),
    );
    profileA = res.data!.upsertProfile.id;
    await createRiskService(stack.subgraphs.risk.deps, 'tenant-a').record({ profileId: profileA, kind: 'churn', probability: 0.9, reasons: [], model: PRIOR });
    await waitFor(async () => {
      const alerts = await gql(stack.gateway.url, '{ alerts { id } }', {}, bearer(adminA));
      alertA = alerts.data?.alerts?.[0]?.id;
      return Boolean(alertA);
    });
  });
  afterAll(() => stack?.stop());

  describe('tenant isolation', () => {
    it('does not let tenant B read tenant A’s profile, even by id', async () => {
      const res = await gql(stack.gateway.url, `query($id: ID!) { profile(id: $id) { id traits } }`, { id: profileA }, bearer(adminB));
      expect(res.errors).toBeUndefined();
      expect(res.data!.profile).toBeNull();
    });

    it('does not let tenant B find tenant A’s profile by identity', async () => {
      const res = await gql(stack.gateway.url, `{ profileByIdentity(type: USER_ID, value: "shared-id") { id } }`, {}, bearer(adminB));
      expect(res.data!.profileByIdentity).toBeNull();
      const own = await gql(stack.gateway.url, `{ profileByIdentity(type: USER_ID, value: "shared-id") { id } }`, {}, bearer(adminA));
      expect(own.data!.profileByIdentity).toEqual({ id: profileA });
    });

    it('gives tenant B its own profile for the same identity instead of A’s', async () => {
      const res = await gql(
        stack.gateway.url,
        `mutation { upsertProfile(input: { identities: [{ type: USER_ID, value: "shared-id" }] }) { id traits } }`,
        {},
        bearer(adminB),
      );
      expect(res.data!.upsertProfile.id).not.toBe(profileA);
      expect(res.data!.upsertProfile.traits).toEqual({});
    });

    it('does not list tenant A’s alerts to tenant B', async () => {
      const res = await gql(stack.gateway.url, '{ alerts { id } }', {}, bearer(adminB));
      expect(res.data!.alerts).toEqual([]);
    });

    it('refuses tenant B’s mutation of tenant A’s alert and leaves it unchanged', async () => {
      const res = await gql(stack.gateway.url, `mutation($id: ID!) { acknowledgeAlert(id: $id) { id status } }`, { id: alertA }, bearer(adminB));
      expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const still = await gql(stack.gateway.url, '{ alerts { id status } }', {}, bearer(adminA));
      expect(still.data!.alerts).toEqual([{ id: alertA, status: 'OPEN' }]);
    });
  });

  describe('authentication and scopes', () => {
    it('answers 401 UNAUTHENTICATED without a key', async () => {
      const res = await gql(stack.gateway.url, '{ alerts { id } }');
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it.each([['a malformed key', 'nope'], ['an unknown key', `fsk_${'x'.repeat(43)}`]])('answers 401 for %s', async (_name, key) => {
      const res = await gql(stack.gateway.url, '{ alerts { id } }', {}, bearer(key));
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('refuses a revoked key at once', async () => {
      const created = await stack.keys.create('tenant-a', ['profiles:read']);
      expect((await gql(stack.gateway.url, '{ alerts { id } }', {}, bearer(created.key))).status).toBe(200);
      await stack.keys.revoke(created.id);
      const res = await gql(stack.gateway.url, '{ alerts { id } }', {}, bearer(created.key));
      expect(res.status).toBe(401);
    });

    it('answers FORBIDDEN naming the field and the scope it needs, with no partial data', async () => {
      const reader = await stack.key('tenant-a', ['profiles:read']);
      const res = await gql(stack.gateway.url, `query($id: ID!) { profile(id: $id) { id risk { score } } }`, { id: profileA }, bearer(reader));
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(res.errors?.[0]?.message).toContain('Profile.risk needs risk:read');
      expect(res.data ?? null).toBeNull();
    });

    it('checks scopes on fields reached through fragments', async () => {
      const reader = await stack.key('tenant-a', ['profiles:read']);
      const res = await gql(
        stack.gateway.url,
        `query($id: ID!) { profile(id: $id) { ...F } } fragment F on Profile { riskHistory { score } }`,
        { id: profileA },
        bearer(reader),
      );
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });

    it('refuses a mutation without actions:write', async () => {
      const reader = await stack.key('tenant-a', ['profiles:read', 'risk:read']);
      const res = await gql(stack.gateway.url, `mutation($id: ID!) { acknowledgeAlert(id: $id) { id } }`, { id: alertA }, bearer(reader));
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });

    it('lets a key with exactly the needed scopes through', async () => {
      const reader = await stack.key('tenant-a', ['profiles:read', 'risk:read']);
      const res = await gql(stack.gateway.url, `query($id: ID!) { profile(id: $id) { id risk { score bucket } } }`, { id: profileA }, bearer(reader));
      expect(res.errors).toBeUndefined();
      expect(res.data!.profile).toEqual({ id: profileA, risk: { score: 90, bucket: 'HIGH' } });
    });
  });

  describe('subgraphs cannot be reached around the gateway', () => {
    const query = `query($id: ID!) { profile(id: $id) { id traits } }`;
    const post = (headers: Record<string, string>) => gql(stack.subgraphs.profiles.url, query, { id: profileA }, headers);

    it('refuses a request without the signed context', async () => {
      const res = await post({});
      expect(res.status).toBe(401);
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });

    it('refuses a context signed with another secret', async () => {
      const forged = signContext({ tenantId: 'tenant-a', keyId: 'x', scopes: ['admin'] }, 'not-the-secret', 'profiles', 60);
      expect((await post({ 'x-foresight-context': forged })).status).toBe(401);
    });

    it('refuses an expired context', async () => {
      const old = signContext({ tenantId: 'tenant-a', keyId: 'x', scopes: ['admin'] }, stack.config.secret, 'profiles', 60, Date.now() - 120_000);
      expect((await post({ 'x-foresight-context': old })).status).toBe(401);
    });

    it('refuses a context signed for another subgraph (audience)', async () => {
      const forSignals = signContext({ tenantId: 'tenant-a', keyId: 'x', scopes: ['admin'] }, stack.config.secret, 'signals', 60);
      expect((await post({ 'x-foresight-context': forSignals })).status).toBe(401);
    });

    it('refuses a context living longer than the subgraph’s maximum (CONTEXT_TTL_SECONDS)', async () => {
      const long = signContext({ tenantId: 'tenant-a', keyId: 'x', scopes: ['admin'] }, stack.config.secret, 'profiles', 86_400);
      expect((await post({ 'x-foresight-context': long })).status).toBe(401);
    });

    it('refuses a plain, unsigned tenant value', async () => {
      expect((await post({ 'x-foresight-context': JSON.stringify({ tid: 'tenant-a', scp: ['admin'] }) })).status).toBe(401);
    });

    it('serves a correctly signed context (the control case)', async () => {
      const valid = signContext({ tenantId: 'tenant-a', keyId: 'x', scopes: ['profiles:read'] }, stack.config.secret, 'profiles', 60);
      const res = await post({ 'x-foresight-context': valid });
      expect(res.data!.profile).toEqual({ id: profileA, traits: { secret: 'a' } });
    });

    it('re-checks scopes in the subgraph from the signed context', async () => {
      const noScope = signContext({ tenantId: 'tenant-a', keyId: 'x', scopes: ['events:write'] }, stack.config.secret, 'profiles', 60);
      const res = await post({ 'x-foresight-context': noScope });
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });
  });

  describe('health endpoints', () => {
    const base = () => stack.gateway.url.replace(/\/graphql$/, '');
    it('serves /healthz without a key', async () => {
      const res = await fetch(`${base()}/healthz`);
      expect(res.status).toBe(200);
    });

    it('reports every subgraph and Redis on /readyz', async () => {
      const res = await fetch(`${base()}/readyz`);
      const body = (await res.json()) as { checks: Record<string, string> };
      expect(res.status).toBe(200);
      expect(body.checks).toEqual({ redis: 'ok', profiles: 'ok', signals: 'ok', risk: 'ok', actions: 'ok' });
    });
  });
});
