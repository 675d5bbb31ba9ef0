import { gzipSync } from 'node:zlib';

import fc from 'fast-check';

import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';

/**
 * Bad input through the gateway, on the database under test (PostgreSQL refuses NUL characters
 * and unpaired surrogates that SQLite would store): every refusal is a 4xx or a GraphQL error with
 * a code, never a 5xx, and a bad item in a batch loses nothing else of it.
 */
describe('hostile input never gets a 5xx and loses nothing else', () => {
  let stack: Stack;
  let base: string;
  let writeKey: string;
  let admin: string;

  beforeAll(async () => {
    stack = await startStack();
    base = stack.gateway.url.replace(/\/graphql$/, '');
    writeKey = await stack.key('hostile', ['events:write']);
    admin = await stack.key('hostile', ['admin', 'profiles:read']);
  });
  afterAll(() => stack?.stop());

  const auth = () => ({ authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` });
  const post = (body: Buffer | string, headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/batch`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth(), ...headers }, body: typeof body === 'string' ? body : new Uint8Array(body) });
  const stored = (prefix: string) =>
    forkAcrossTenants(stack.subgraphs.signals.deps.orm).find(Event, { tenantId: 'hostile', messageId: { $like: `${prefix}%` } }, { orderBy: { messageId: 'asc' } });
  const track = (messageId: string, over: Record<string, unknown> = {}) => ({ type: 'track', event: 'Clicked', userId: 'u-hostile', messageId, ...over });

  it('accepts a gzip-compressed batch, as SDKs may send it', async () => {
    const res = await post(gzipSync(JSON.stringify({ batch: [track('gz-1'), track('gz-2')] })), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ success: true, accepted: 2 });
    expect((await stored('gz-')).map((e) => e.messageId)).toEqual(['gz-1', 'gz-2']);
  });

  it('refuses a compressed body that expands past the limit (a zip bomb), an unknown encoding and corrupt data with a 4xx', async () => {
    const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const big = await post(bomb, { 'content-encoding': 'gzip' });
    expect(big.status).toBe(400);
    expect(await big.json()).toMatchObject({ code: 'BATCH_TOO_LARGE' });
    expect((await post('{}', { 'content-encoding': 'zstd' })).status).toBe(415);
    const corrupt = await post('not gzip at all', { 'content-encoding': 'gzip' });
    expect(corrupt.status).toBe(400);
    expect(await corrupt.json()).toMatchObject({ code: 'INVALID_ENCODING' });
  });

  it('refuses deep nesting, NUL characters and unpaired surrogates per item, by index, keeping the good neighbours', async () => {
    // 5,000 levels: built as text, since even the test's own JSON.stringify would overflow
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const res = await post(
      `{"batch": [${JSON.stringify(track('bad-0'))}, ${JSON.stringify(track('bad-1', { properties: { x: 0 } })).replace('{"x":0}', deep)}, ${JSON.stringify({
        batch: [
          track('bad-2', { properties: { note: 'a\u0000b' } }),
          track('bad-3', { userId: 'nul\u0000user' }),
          { type: 'identify', userId: 'u-hostile', messageId: 'bad-4', traits: { name: 'x\ud800' } },
          track('bad-5'),
        ],
      }).slice('{"batch":['.length)}`,
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ success: true, accepted: 2, duplicates: 0 });
    expect(body.errors.map((e: { index: number }) => e.index)).toEqual([1, 2, 3, 4]);
    expect(body.errors[0].message).toMatch(/nests deeper than 32 levels/);
    expect(body.errors[1].message).toBe('properties.note contains a NUL character (\\u0000)');
    expect(body.errors[3].message).toMatch(/unpaired UTF-16 surrogate/);
    expect((await stored('bad-')).map((e) => e.messageId)).toEqual(['bad-0', 'bad-5']);
  });

  it('stores a far-future timestamp as the time received and says so for that item', async () => {
    const before = Date.now();
    const res = await post(JSON.stringify({ batch: [track('future-0', { timestamp: '9999-01-01T00:00:00Z' }), track('future-1')] }));
    const body = await res.json();
    expect(body).toMatchObject({ success: true, accepted: 2, notices: [{ index: 0, message: expect.stringMatching(/^timestamp 9999-01-01T00:00:00\.000Z is in the future/) }] });
    const [future] = await stored('future-0');
    expect(future.timestamp.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(future.timestamp.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('answers a batch of junk with a bounded error list and the full count', async () => {
    const junk = JSON.stringify({ batch: Array.from({ length: 3000 }, () => 1) });
    const res = await post(junk);
    expect(res.status).toBe(400);
    const text = await res.text();
    // 3,000 reasons would be ~160 KB, 27 times the request
    expect(text.length).toBeLessThan(8_000);
    expect(JSON.parse(text)).toMatchObject({ code: 'INVALID_EVENT' });
    expect(JSON.parse(text).errors).toHaveLength(100);
    const gql200 = await gql(stack.gateway.url, 'mutation($e: [EventInput!]!) { ingestEvents(events: $e) { accepted errorCount errors { index } } }', { e: [track('gql-ok'), { type: 'nope' }, { type: 'nope' }] }, bearer(admin));
    expect(gql200.errors).toBeUndefined();
    expect(gql200.data?.ingestEvents).toEqual({ accepted: 1, errorCount: 2, errors: [{ index: 1 }, { index: 2 }] });
  });

  it('answers BAD_USER_INPUT for a cursor dated past JavaScript’s range and for __proto__ in friction settings', async () => {
    const cursor = Buffer.from(`signal:${'9'.repeat(20)}:0190d4a8-0000-7000-8000-000000000000`).toString('base64url');
    const page = await gql(stack.gateway.url, 'query($a: String) { signals(after: $a) { edges { cursor } } }', { a: cursor }, bearer(admin));
    expect(page.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const settings = await gql(
      stack.gateway.url,
      'mutation($o: JSONObject!) { updateFrictionSettings(input: { overrides: $o }) { overrides } }',
      { o: JSON.parse('{"__proto__": {"polluted": true}, "retryLoop": {"failurePattern": "(a+)+$"}}') },
      bearer(admin),
    );
    expect(settings.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(settings.errors?.[0]?.message).toMatch(/__proto__: unknown setting/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('property: random batches of hostile events never get a 5xx, and exactly the accepted ones are stored', async () => {
    const text = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('\u0000', '\ud800', '__proto__', 'constructor', '😀'));
    const item = fc.record(
      {
        type: fc.constantFrom('track', 'identify', 'page', 'nope'),
        event: text,
        userId: fc.oneof(text, fc.integer(), fc.constant(null)),
        properties: fc.oneof(fc.dictionary(text, fc.oneof(text, fc.double(), fc.constant(null)), { maxKeys: 3 }), fc.constant('not an object')),
        timestamp: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z', 'x')),
      },
      { requiredKeys: ['type'] },
    );
    let run = 0;
    let acceptedTotal = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 8 }), async (items) => {
        const prefix = `prop-${run++}-`;
        const batch = items.map((it, i) => ({ ...it, messageId: `${prefix}${i}` }));
        const res = await post(JSON.stringify({ batch }));
        expect(res.status).toBeLessThan(500);
        const body = await res.json();
        const accepted = res.status === 200 ? (body as { accepted: number }).accepted : 0;
        acceptedTotal += accepted;
        expect(await stored(prefix)).toHaveLength(accepted);
      }),
      { seed: 1202, numRuns: 40 },
    );
    expect(acceptedTotal).toBeGreaterThan(0);
  });
});
