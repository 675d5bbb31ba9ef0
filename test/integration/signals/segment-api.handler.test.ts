import { request, type IncomingMessage } from 'node:http';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';

import { signContext } from '../../../subgraphs/common/auth-context';
import { RESOLVE_IDENTITY } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { MAX_BATCH_BYTES, MAX_EVENT_BYTES } from '../../../subgraphs/common/segment-api';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

/** The signals service's own /v1 handler, called directly (the gateway normally forwards to it). */
describe('segmentApiHandler', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  let base: string;

  beforeAll(async () => {
    // no workers: resolve jobs pile up, so the queue-depth guard can be reached
    env = await createTestEnv({ INGEST_MAX_QUEUE_DEPTH: '3' });
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
    base = signals.url.replace(/\/graphql$/, '');
  });
  // accepted events pile up as resolve jobs: each test starts below INGEST_MAX_QUEUE_DEPTH
  beforeEach(() => signals.deps.queues.get(RESOLVE_IDENTITY).drain());
  afterAll(async () => {
    await signals?.close();
    await env?.cleanup();
  });

  const signed = (scopes: string[]) => signContext({ tenantId: 't1', keyId: 'k1', scopes }, env.config.secret, 'signals', 60);
  const writer = () => ({ 'x-foresight-context': signed(['events:write']) });
  const post = (path: string, body: string | Uint8Array<ArrayBuffer>, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const track = (messageId: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ event: 'Clicked', userId: 'u1', messageId, ...extra });

  /** A node:http POST whose body the test writes itself (chunked unless a Content-Length is set). */
  const open = (path: string, headers: Record<string, string | number> = {}) => {
    const req = request(`${base}${path}`, { method: 'POST', headers: { ...writer(), 'content-type': 'application/json', ...headers } });
    const response = new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      req.once('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
      });
      req.once('error', reject);
    });
    return { req, response };
  };

  it.each([
    ['no context', {}],
    ['a context signed with another secret', { 'x-foresight-context': signContext({ tenantId: 't1', keyId: 'k', scopes: ['admin'] }, 'other-secret', 'signals', 60) }],
  ])('refuses a request with %s (401): it cannot be reached around the gateway', async (_name, headers) => {
    const res = await post('/v1/track', track('a'), headers);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ success: false, code: 'UNAUTHENTICATED' });
  });

  it('refuses a context without events:write (403)', async () => {
    const res = await post('/v1/track', track('b'), { 'x-foresight-context': signed(['profiles:read']) });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ success: false, code: 'FORBIDDEN' });
  });

  it('checks the context before the body: an unauthenticated body over the limit still gets 401', async () => {
    const res = await post('/v1/track', track('b2', { blob: 'x'.repeat(MAX_EVENT_BYTES) }));
    expect(res.status).toBe(401);
  });

  it('accepts a signed request, whatever its content type, answering JSON in UTF-8', async () => {
    const res = await post('/v1/track', track('c'), { ...writer(), 'content-type': 'text/plain' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ success: true, accepted: 1, duplicates: 0, errors: [] });
  });

  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
  ])('inflates a %s body, as express.text did', async (encoding, compress) => {
    const res = await post('/v1/track', new Uint8Array(compress(track(`enc-${encoding}`))), { ...writer(), 'content-encoding': encoding });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ success: true, accepted: 1 });
  });

  it('drops a UTF-8 byte order mark and decodes the charset the content type names', async () => {
    const bom = await post('/v1/track', `\ufeff${track('bom')}`, writer());
    expect(await bom.json()).toMatchObject({ success: true, accepted: 1 });
    const latin1 = new Uint8Array(Buffer.from(JSON.stringify({ event: 'Café', userId: 'u1', messageId: 'latin1' }), 'latin1'));
    const res = await post('/v1/track', latin1, { ...writer(), 'content-type': 'text/plain; charset=ISO-8859-1' });
    expect(await res.json()).toMatchObject({ success: true, accepted: 1 });
  });

  it.each([
    ['an unknown content encoding', { 'content-encoding': 'compress' }, 'unsupported content encoding "compress"'],
    ['an unknown charset', { 'content-type': 'application/json; charset=klingon' }, 'unsupported charset "KLINGON"'],
  ])('answers 400 BAD_REQUEST for %s', async (_name, headers, message) => {
    const res = await post('/v1/track', track('enc-x'), { ...writer(), ...headers });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ success: false, code: 'BAD_REQUEST', message });
  });

  it('answers 400 INVALID_JSON for a malformed body', async () => {
    const res = await post('/v1/batch', '{"batch": [', writer());
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ success: false, code: 'INVALID_JSON', message: 'the body is not valid JSON' });
  });

  it.each([
    ['track', 'EVENT_TOO_LARGE', `the event is over the limit of ${MAX_EVENT_BYTES} bytes`, MAX_EVENT_BYTES],
    ['batch', 'BATCH_TOO_LARGE', `the batch is over the limit of ${MAX_BATCH_BYTES} bytes`, MAX_BATCH_BYTES],
  ])('refuses a /v1/%s body over its limit with 400 %s', async (endpoint, code, message, limit) => {
    const res = await post(`/v1/${endpoint}`, 'x'.repeat(limit + 1), writer());
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ success: false, code, message });
    // a body exactly at the limit is read (and then judged on its content)
    expect(await (await post(`/v1/${endpoint}`, 'x'.repeat(limit), writer())).json()).toMatchObject({ code: 'INVALID_JSON' });
  });

  it('refuses a Content-Length over the limit before the body arrives', async () => {
    const { req, response } = open('/v1/track', { 'content-length': MAX_EVENT_BYTES + 1 });
    req.write('{"event":');
    expect(await response).toEqual({ status: 400, body: expect.objectContaining({ code: 'EVENT_TOO_LARGE' }) });
    req.destroy();
  });

  it('answers a chunked body as soon as it passes the limit, without waiting for its end', async () => {
    const { req, response } = open('/v1/track');
    for (let i = 0; i < 40; i++) req.write('x'.repeat(1024));
    expect(await response).toEqual({ status: 400, body: expect.objectContaining({ code: 'EVENT_TOO_LARGE' }) });
    req.end('x'.repeat(1024));
  });

  it('survives a client aborting mid-body: the next request is served', async () => {
    const { req, response } = open('/v1/track', { 'content-length': 1000 });
    response.catch(() => undefined);
    req.write('{"event":"Clicked",');
    await new Promise((resolve) => setTimeout(resolve, 50));
    req.destroy();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const res = await post('/v1/track', track('after-abort'), writer());
    expect(res.status).toBe(200);
  });

  it('matches the paths as express did: any case, a trailing slash, a query', async () => {
    for (const path of ['/v1/Track', '/v1/track/', '/v1/track?x=1']) {
      expect((await post(path, track(`path-${path}`), writer())).status).toBe(200);
    }
  });

  it.each([
    ['a GET on an endpoint', 'GET', '/v1/track'],
    ['an unknown endpoint', 'POST', '/v1/purchase'],
    ['a nested path', 'POST', '/v1/track/more'],
  ])('leaves %s to express, which answers 404', async (_name, method, path) => {
    const res = await fetch(`${base}${path}`, { method, headers: writer(), body: method === 'POST' ? track('nope') : undefined });
    expect(res.status).toBe(404);
    expect(await res.text()).toContain(`Cannot ${method} ${path}`);
  });

  it('answers 429 with Retry-After while the resolve queue is deeper than INGEST_MAX_QUEUE_DEPTH', async () => {
    for (const id of ['d1', 'd2', 'd3', 'd4']) expect((await post('/v1/track', track(id), writer())).status).toBe(200);
    expect(await signals.deps.queues.get(RESOLVE_IDENTITY).getJobCountByTypes('waiting', 'prioritized')).toBe(4);
    const res = await post('/v1/track', track('d5'), writer());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ success: false, code: 'RATE_LIMITED' });
  });
});
