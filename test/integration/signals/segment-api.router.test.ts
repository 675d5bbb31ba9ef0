import { signContext } from '../../../subgraphs/common/auth-context';
import { RESOLVE_IDENTITY } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

/** The signals service's own /v1 routes, called directly (the gateway normally forwards to them). */
describe('segmentApiRouter', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  let base: string;

  beforeAll(async () => {
    // no workers: resolve jobs pile up, so the queue-depth guard can be reached
    env = await createTestEnv({ INGEST_MAX_QUEUE_DEPTH: '3' });
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
    base = signals.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await signals?.close();
    await env?.cleanup();
  });

  const signed = (scopes: string[]) => signContext({ tenantId: 't1', keyId: 'k1', scopes }, env.config.secret, 60);
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const track = (messageId: string) => JSON.stringify({ event: 'Clicked', userId: 'u1', messageId });

  it.each([
    ['no context', {}],
    ['a context signed with another secret', { 'x-foresight-context': signContext({ tenantId: 't1', keyId: 'k', scopes: ['admin'] }, 'other-secret', 60) }],
  ])('refuses a request with %s (401): it cannot be reached around the gateway', async (_name, headers) => {
    const res = await post('/v1/track', track('a'), headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ success: false, code: 'UNAUTHENTICATED' });
  });

  it('refuses a context without events:write (403)', async () => {
    const res = await post('/v1/track', track('b'), { 'x-foresight-context': signed(['profiles:read']) });
    expect(res.status).toBe(403);
  });

  it('accepts a signed request, whatever its content type', async () => {
    const res = await post('/v1/track', track('c'), { 'x-foresight-context': signed(['events:write']), 'content-type': 'text/plain' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, accepted: 1, duplicates: 0, errors: [] });
  });

  it('answers 429 with Retry-After while the resolve queue is deeper than INGEST_MAX_QUEUE_DEPTH', async () => {
    const headers = { 'x-foresight-context': signed(['events:write']) };
    for (const id of ['d1', 'd2', 'd3']) expect((await post('/v1/track', track(id), headers)).status).toBe(200);
    expect(await signals.deps.queues.get(RESOLVE_IDENTITY).getWaitingCount()).toBe(4);
    const res = await post('/v1/track', track('d4'), headers);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ success: false, code: 'RATE_LIMITED' });
  });
});
