import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { signContext } from '../../subgraphs/common/auth-context';
import { loadConfig } from '../../subgraphs/common/config';
import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';

/**
 * Issue 14, one probe per fixed finding, as an attacker or a careless client would try it through
 * the gateway: two tenants, keys with each scope. The deeper suites are beside this file
 * (profile-scopes, property-inputs) and in test/e2e/hostile-input.test.ts.
 */

const SCOPES = ['profiles:read', 'events:write', 'risk:read', 'risk:subscribe', 'actions:write', 'admin'];
const AUTH_FAILURES = 5;
/** The one load balancer whose X-Forwarded-For the gateway believes (TRUSTED_PROXIES). */
const PROXY = '127.0.0.3';

/** A POST from a given loopback address (the throttle counts per address; 127.0.0.1 stays clean). */
function postFrom(localAddress: string, url: string, body: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request(url, { method: 'POST', localAddress, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('issue 14 probes through the gateway', () => {
  let stack: Stack;
  let base: string;
  const keysA: Record<string, string> = {};
  let adminB: string;
  let profileA: string;

  beforeAll(async () => {
    stack = await startStack({ AUTH_FAILURES_PER_MINUTE: String(AUTH_FAILURES), TRUSTED_PROXIES: PROXY });
    base = stack.gateway.url.replace(/\/graphql$/, '');
    for (const scope of SCOPES) keysA[scope] = await stack.key('probe-a', [scope]);
    adminB = await stack.key('probe-b', ['admin']);
    const res = await gql(
      stack.gateway.url,
      'mutation { upsertProfile(input: { identities: [{ type: EMAIL, value: "grace@example.com" }], traits: { tier: "secret" } }) { id } }',
      {},
      bearer(keysA.admin),
    );
    profileA = res.data!.upsertProfile.id;
  });
  afterAll(() => stack?.stop());

  const writeAuth = (key: string) => ({ authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` });
  const batch = (body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...writeAuth(keysA['events:write']), ...headers },
      body: typeof body === 'string' ? body : new Uint8Array(body),
    });
  const stored = (prefix: string) =>
    forkAcrossTenants(stack.subgraphs.signals.deps.orm).find(Event, { tenantId: 'probe-a', messageId: { $like: `${prefix}%` } }, { orderBy: { messageId: 'asc' } });
  const track = (messageId: string, over: Record<string, unknown> = {}) => ({ type: 'track', event: 'Probe', userId: 'u-probe', messageId, ...over });

  describe('bad input gets a clear 4xx and loses nothing else', () => {
    it('refuses a deeply nested event by index and keeps its neighbours', async () => {
      const deep = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
      const res = await batch(`{"batch":[${JSON.stringify(track('deep-0'))},${JSON.stringify(track('deep-1', { properties: { x: 0 } })).replace('{"x":0}', deep)},${JSON.stringify(track('deep-2'))}]}`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 2, errors: [{ index: 1 }] });
      expect((await stored('deep-')).map((e) => e.messageId)).toEqual(['deep-0', 'deep-2']);
    });

    it('refuses a NUL character per item instead of failing the insert', async () => {
      const res = await batch(JSON.stringify({ batch: [track('nul-0', { properties: { n: 'a\u0000b' } }), track('nul-1')] }));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 1, errors: [{ index: 0, message: expect.stringMatching(/NUL/) }] });
    });

    it('clamps a far-future timestamp to the time received, with a notice', async () => {
      const res = await batch(JSON.stringify({ batch: [track('future-0', { timestamp: '9999-01-01T00:00:00Z' })] }));
      expect(await res.json()).toMatchObject({ accepted: 1, notices: [{ index: 0 }] });
      expect((await stored('future-0'))[0].timestamp.getTime()).toBeLessThanOrEqual(Date.now());
    });

    it('accepts a gzip-encoded body', async () => {
      const res = await batch(gzipSync(JSON.stringify({ batch: [track('gz-0')] })), { 'content-encoding': 'gzip' });
      expect(res.status).toBe(200);
    });

    it('caps the error list of a junk batch', async () => {
      const res = await batch(JSON.stringify({ batch: Array.from({ length: 2000 }, () => 0) }));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errors: unknown[] }).errors.length).toBeLessThanOrEqual(100);
    });

    it('answers BAD_USER_INPUT for an absurd cursor, __proto__ settings and a catastrophic pattern', async () => {
      const cursor = Buffer.from(`signal:${'9'.repeat(20)}:0190d4a8-0000-7000-8000-000000000000`).toString('base64url');
      const page = await gql(stack.gateway.url, 'query($a: String) { signals(after: $a) { edges { cursor } } }', { a: cursor }, bearer(keysA.admin));
      expect(page.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const update = (o: unknown) => gql(stack.gateway.url, 'mutation($o: JSONObject!) { updateFrictionSettings(input: { overrides: $o }) { overrides } }', { o }, bearer(keysA.admin));
      expect((await update(JSON.parse('{"__proto__": {"polluted": true}}'))).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect((await update({ retryLoop: { failurePattern: '(a+)+$' } })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('partners see only what their scope allows', () => {
    it.each(SCOPES.filter((s) => s !== 'profiles:read' && s !== 'admin'))('refuses Profile.traits through riskChanged to a %s key', async (scope) => {
      const res = await gql(stack.gateway.url, 'subscription { riskChanged { profile { traits } } }', {}, bearer(keysA[scope]));
      expect(res.errors?.some((e) => e.extensions?.code === 'FORBIDDEN' && /Profile\.traits needs profiles:read/.test(e.message))).toBe(true);
    });

    it('never shows tenant A’s profile to tenant B, even by id', async () => {
      const res = await gql(stack.gateway.url, 'query($id: ID!) { profile(id: $id) { id traits } }', { id: profileA }, bearer(adminB));
      expect(res.data).toEqual({ profile: null });
    });

    it('has subgraphs refuse a tenant context meant for another subgraph or living too long', async () => {
      const ctx = { tenantId: 'probe-a', keyId: 'k', scopes: ['admin'] };
      const query = 'query($id: ID!) { profile(id: $id) { traits } }';
      const at = (token: string) => gql(stack.subgraphs.profiles.url, query, { id: profileA }, { 'x-foresight-context': token });
      expect((await at(signContext(ctx, stack.config.secret, 'risk', 60))).status).toBe(401);
      expect((await at(signContext(ctx, stack.config.secret, 'profiles', 3600))).status).toBe(401);
      expect((await at(signContext(ctx, stack.config.secret, 'profiles', 60))).data).toEqual({ profile: { traits: { tier: 'secret' } } });
    });

    it('has a production start refuse development defaults, naming them (the Dockerfile sets FORESIGHT_ENV)', () => {
      expect(readFileSync(join(__dirname, '..', '..', 'Dockerfile'), 'utf8')).toMatch(/FORESIGHT_ENV=production/);
      expect(() => loadConfig({ NODE_ENV: 'production', FORESIGHT_ENV: 'production', DATA_DIR: stack.config.dataDir, GRAPHIQL: 'true' })).toThrow(
        /FORESIGHT_SECRET: is required in production[\s\S]*GRAPHIQL: must be false/,
      );
    });

    it('answers /readyz with check codes only', async () => {
      const res = await fetch(`${base}/readyz`);
      expect(await res.json()).toEqual({ status: 'ready', checks: { redis: 'ok', profiles: 'ok', signals: 'ok', risk: 'ok', actions: 'ok' } });
    });

    it('revokes a key by its display prefix (the CLI path, PostgreSQL included)', async () => {
      const created = await stack.keys.create('probe-a', ['profiles:read']);
      await stack.keys.revoke(created.key.slice(0, 10));
      expect((await gql(stack.gateway.url, '{ alerts { id } }', {}, bearer(created.key))).status).toBe(401);
    });

    it('throttles failed authentication per address with 429 and Retry-After, on /graphql and /v1', async () => {
      const bad = { authorization: `Bearer fsk_${'z'.repeat(43)}` };
      const statuses: number[] = [];
      for (let i = 0; i < AUTH_FAILURES + 1; i += 1) statuses.push((await postFrom('127.0.0.2', stack.gateway.url, '{"query":"{ alerts { id } }"}', bad)).status);
      expect(statuses).toEqual([...Array(AUTH_FAILURES).fill(401), 429]);
      // blocked whatever it sends now, a valid key included, and on the Segment API too
      const valid = await postFrom('127.0.0.2', stack.gateway.url, '{"query":"{ alerts { id } }"}', bearer(keysA['profiles:read']));
      expect(valid.status).toBe(429);
      expect(Number(valid.headers['retry-after'])).toBeGreaterThan(0);
      expect(JSON.parse(valid.body).errors[0].extensions.code).toBe('RATE_LIMITED');
      const segment = await postFrom('127.0.0.2', `${base}/v1/batch`, JSON.stringify({ batch: [track('blocked-0')] }), writeAuth(keysA['events:write']));
      expect(segment.status).toBe(429);
      // a forged X-Forwarded-For from a peer that is not a trusted proxy changes nothing
      const forged = { ...bearer(keysA['profiles:read']), 'x-forwarded-for': '203.0.113.9' };
      expect((await postFrom('127.0.0.2', stack.gateway.url, '{"query":"{ alerts { id } }"}', forged)).status).toBe(429);
      const forgedSegment = { ...writeAuth(keysA['events:write']), 'x-forwarded-for': '203.0.113.9' };
      expect((await postFrom('127.0.0.2', `${base}/v1/batch`, JSON.stringify({ batch: [track('blocked-1')] }), forgedSegment)).status).toBe(429);
      // another address is not affected
      expect((await gql(stack.gateway.url, '{ alerts { id } }', {}, bearer(keysA['profiles:read']))).status).toBe(200);
    });

    it('throttles each client behind a trusted proxy by its forwarded address, not the proxy', async () => {
      const query = '{"query":"{ alerts { id } }"}';
      const via = (forwardedFor: string, headers: Record<string, string>) => postFrom(PROXY, stack.gateway.url, query, { ...headers, 'x-forwarded-for': forwardedFor });
      const bad = { authorization: `Bearer fsk_${'y'.repeat(43)}` };
      const statuses: number[] = [];
      for (let i = 0; i < AUTH_FAILURES + 1; i += 1) statuses.push((await via('198.51.100.1', bad)).status);
      expect(statuses).toEqual([...Array(AUTH_FAILURES).fill(401), 429]);
      const valid = bearer(keysA['profiles:read']);
      expect((await via('198.51.100.1', valid)).status).toBe(429);
      // the blocked client prepending another address is still itself: the proxy appended its real one
      expect((await via('198.51.100.2, 198.51.100.1', valid)).status).toBe(429);
      // the proxy's other clients, and the proxy itself, keep their own budgets
      expect((await via('198.51.100.2', valid)).status).toBe(200);
      expect((await postFrom(PROXY, stack.gateway.url, query, valid)).status).toBe(200);
    });
  });
});
