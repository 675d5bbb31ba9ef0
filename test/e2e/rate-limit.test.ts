import { bearer, startStack, type Stack } from '../fixtures/stack';
import { subscribe } from '../fixtures/ws-client';

const QUERY = '{ alerts(first: 1) { id } }';

/**
 * Sends `keys` (one request each) at once and returns the answers with the most requests the
 * limit could have let through meanwhile: `perSecond` per started second of the burst (a loaded
 * machine may spread the burst over more than one window).
 */
async function burst(url: string, keys: string[], perSecond: number) {
  const started = Date.now();
  const answers = await Promise.all(keys.map((k) => post(url, k)));
  const windows = Math.ceil((Date.now() - started) / 1000) + 1;
  return { answers, mostAdmitted: perSecond * windows };
}

async function post(url: string, key: string): Promise<{ status: number; retryAfter: string | null; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(key) },
    body: JSON.stringify({ query: QUERY }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}

describe('rate limit on /graphql', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ GRAPHQL_RATE_LIMIT_PER_SECOND: '3', GRAPHQL_TENANT_RATE_LIMIT_PER_SECOND: '5' });
  });
  afterAll(() => stack?.stop());

  it('answers 429 with Retry-After and RATE_LIMITED once a key is over its operations per second', async () => {
    const key = await stack.key('rl-key', ['profiles:read']);
    // warm the key look-up, so the burst is not spread by the first database read
    expect((await post(stack.gateway.url, key)).status).toBe(200);
    const { answers, mostAdmitted } = await burst(stack.gateway.url, Array.from({ length: 20 }, () => key), 3);
    const refused = answers.filter((a) => a.status === 429);
    expect(answers.filter((a) => a.status === 200).length).toBeLessThanOrEqual(mostAdmitted);
    expect(refused.length).toBeGreaterThanOrEqual(Math.max(1, 20 - mostAdmitted));
    expect(refused.length + answers.filter((a) => a.status === 200).length).toBe(20);
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'key' });
      expect(r.body.errors[0].message).toMatch(/3 operations per second for this API key/);
    }
  });

  it('limits a tenant over all its keys, and leaves other tenants alone', async () => {
    const keys = await Promise.all(Array.from({ length: 6 }, () => stack.key('rl-tenant', ['profiles:read'])));
    const other = await stack.key('rl-other', ['profiles:read']);
    for (const k of keys) await stack.keys.resolve(k);
    // 3 operations per key (each key within its own 3 per second), 18 against the tenant's 5 per second
    const { answers, mostAdmitted } = await burst(stack.gateway.url, keys.flatMap((k) => [k, k, k]), 5);
    expect(answers.filter((x) => x.status === 200).length).toBeLessThanOrEqual(mostAdmitted);
    const refused = answers.filter((x) => x.status === 429);
    expect(refused.length).toBeGreaterThanOrEqual(Math.max(1, 18 - mostAdmitted));
    for (const r of refused) {
      expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(r.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'tenant' });
      expect(r.body.errors[0].message).toMatch(/5 operations per second for tenant rl-tenant/);
    }
    const elsewhere = await post(stack.gateway.url, other);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.data).toEqual({ alerts: [] });
  });

  it('counts operations over graphql-ws too, refused with a RATE_LIMITED error', async () => {
    const key = await stack.key('rl-ws', ['profiles:read']);
    await stack.keys.resolve(key);
    const started = Date.now();
    const subs = Array.from({ length: 12 }, () => subscribe(stack.gateway.wsUrl, QUERY, {}, bearer(key)));
    try {
      const outcomes = await Promise.all(subs.map((s) => s.done.then((d) => ({ ...d, results: s.results }))));
      const mostAdmitted = 3 * (Math.ceil((Date.now() - started) / 1000) + 1);
      const limited = outcomes.filter((o) => o.results.some((r) => r.errors?.[0]?.extensions?.code === 'RATE_LIMITED') || JSON.stringify(o.error ?? '').includes('RATE_LIMITED'));
      const served = outcomes.filter((o) => o.results.some((r) => r.data));
      expect(served.length).toBeLessThanOrEqual(mostAdmitted);
      expect(limited.length).toBeGreaterThanOrEqual(Math.max(1, 12 - mostAdmitted));
      expect(served.length + limited.length).toBe(12);
    } finally {
      await Promise.all(subs.map((s) => s.close()));
    }
  });
});
