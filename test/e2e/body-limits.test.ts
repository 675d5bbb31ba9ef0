import { request } from 'node:http';

import { loadConfig } from '../../subgraphs/common/config';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';

const UPSERT = 'mutation($input: UpsertProfileInput!) { upsertProfile(input: $input) { id traits } }';

/** POSTs `body` to the gateway, chunked (no Content-Length) when asked. */
function post(url: string, key: string, body: string, chunked = false): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(key), ...(chunked ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null') }));
      res.on('error', reject);
    });
    // the body may be refused before it is sent whole
    req.on('error', reject);
    if (chunked) {
      req.write(body.slice(0, 10));
      req.end(body.slice(10));
    } else req.end(body);
  });
}

describe('body limits', () => {
  let stack: Stack;
  let key: string;
  beforeAll(async () => {
    stack = await startStack({ GRAPHQL_MAX_BODY_BYTES: '50000' });
    key = await stack.key('body', ['admin']);
  });
  afterAll(() => stack?.stop());

  it('answers 413 at the gateway for a /graphql body over GRAPHQL_MAX_BODY_BYTES, and serves one under it', async () => {
    const padding = (n: number) => JSON.stringify({ query: `{ alerts(first: 1) { id } }${' '.repeat(n)}` });
    const under = await post(stack.gateway.url, key, padding(49_000));
    expect(under.status).toBe(200);
    expect(under.body.data).toEqual({ alerts: [] });
    const over = await post(stack.gateway.url, key, padding(51_000));
    expect(over.status).toBe(413);
    expect(over.body.errors[0]).toMatchObject({ extensions: { code: 'BODY_TOO_LARGE' }, message: 'the body is over the limit of 50000 bytes' });
  });

  it('answers 411 for a body without a length', async () => {
    const res = await post(stack.gateway.url, key, JSON.stringify({ query: '{ alerts(first: 1) { id } }' }), true);
    expect(res.status).toBe(411);
    expect(res.body.errors[0].extensions.code).toBe('LENGTH_REQUIRED');
  });

  it('refuses upsertProfile traits over the size caps, naming the field, and stores nothing', async () => {
    const identities = [{ type: 'USER_ID', value: 'big-traits' }];
    const tooLong = await gql(stack.gateway.url, UPSERT, { input: { identities, traits: { bio: 'x'.repeat(9000) } } }, bearer(key));
    expect(tooLong.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooLong.errors?.[0]?.message).toMatch(/input\.traits\.bio is longer than 8192 characters/);
    const tooMany = await gql(
      stack.gateway.url,
      UPSERT,
      { input: { identities, traits: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, 'x'.repeat(3000)])) } },
      bearer(key),
    );
    expect(tooMany.errors?.[0]?.message).toMatch(/input\.traits is larger than 32768 bytes/);
    const found = await gql(stack.gateway.url, 'query { profileByIdentity(type: USER_ID, value: "big-traits") { id } }', {}, bearer(key));
    expect(found.data?.profileByIdentity).toBeNull();
    const fine = await gql(stack.gateway.url, UPSERT, { input: { identities, traits: { bio: 'short' } } }, bearer(key));
    expect(fine.data?.upsertProfile.traits).toEqual({ bio: 'short' });
  });

  it('refuses a configuration where the gateway would accept bodies its subgraphs refuse', () => {
    expect(() => loadConfig({ GRAPHQL_MAX_BODY_BYTES: '3000000', SUBGRAPH_MAX_BODY_BYTES: '2000000' })).toThrow(/GRAPHQL_MAX_BODY_BYTES: must not exceed SUBGRAPH_MAX_BODY_BYTES/);
  });
});
