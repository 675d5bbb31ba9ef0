import { bearer, gql, startStack, type Stack } from '../fixtures/stack';

const INTROSPECTION = '{ __schema { queryType { name } } }';

describe('operation limits (development mode)', () => {
  let stack: Stack;
  let key: string;
  beforeAll(async () => {
    stack = await startStack({ MAX_DEPTH: '2', MAX_ALIASES: '3', MAX_TOKENS: '200' });
    key = await stack.key('limits', ['admin']);
  });
  afterAll(() => stack?.stop());

  it('accepts an operation within every limit', async () => {
    const res = await gql(stack.gateway.url, '{ p: profile(id: "x") { id } alerts { id status } }', {}, bearer(key));
    expect(res.errors).toBeUndefined();
  });

  it('refuses an operation deeper than MAX_DEPTH, also when the depth hides in a fragment', async () => {
    const atLimit = '{ profile(id: "x") { id traits } }';
    expect((await gql(stack.gateway.url, atLimit, {}, bearer(key))).errors).toBeUndefined();
    const tooDeep = `query($id: ID!) { profile(id: $id) { ...P } } fragment P on Profile { identities { type } }`;
    const res = await gql(stack.gateway.url, tooDeep, { id: 'x' }, bearer(key));
    expect(res.errors?.[0]?.message).toMatch(/depth/i);
    expect(res.data ?? null).toBeNull();
  });

  it('refuses more aliases than MAX_ALIASES', async () => {
    const q = `{ ${[1, 2, 3, 4, 5].map((i) => `p${i}: profile(id: "${i}") { id }`).join(' ')} }`;
    const res = await gql(stack.gateway.url, q, {}, bearer(key));
    expect(res.errors?.[0]?.message).toMatch(/alias/i);
    expect(res.data ?? null).toBeNull();
  });

  it('refuses a document with more tokens than MAX_TOKENS', async () => {
    const q = `{ profile(id: "x") { ${Array.from({ length: 250 }, () => 'id').join(' ')} } }`;
    const res = await gql(stack.gateway.url, q, {}, bearer(key));
    expect(res.errors?.[0]?.message).toMatch(/token/i);
  });

  it('suggests field names outside production (the production check below is meaningful)', async () => {
    const res = await gql(stack.gateway.url, '{ alert { id } }', {}, bearer(key));
    expect(res.errors?.[0]?.message).toMatch(/Did you mean/);
  });

  it('allows introspection outside production', async () => {
    const res = await gql(stack.gateway.url, INTROSPECTION, {}, bearer(key));
    expect(res.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});

describe('production mode', () => {
  let stack: Stack;
  let key: string;
  beforeAll(async () => {
    stack = await startStack({ NODE_ENV: 'production' });
    key = await stack.key('prod', ['admin']);
  });
  afterAll(() => stack?.stop());

  it('refuses introspection, even to an admin key', async () => {
    const res = await gql(stack.gateway.url, INTROSPECTION, {}, bearer(key));
    expect(res.errors?.length).toBeGreaterThan(0);
    expect(res.data ?? null).toBeNull();
  });

  it('still serves ordinary operations', async () => {
    const res = await gql(stack.gateway.url, '{ alerts { id } }', {}, bearer(key));
    expect(res.data).toEqual({ alerts: [] });
  });

  it('does not suggest field names in errors', async () => {
    const res = await gql(stack.gateway.url, '{ alert { id } }', {}, bearer(key));
    expect(res.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});
