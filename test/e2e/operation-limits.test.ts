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

describe('query cost with variables', () => {
  let stack: Stack;
  let key: string;
  beforeAll(async () => {
    stack = await startStack({ MAX_COST: '500' });
    key = await stack.key('cost', ['admin']);
  });
  afterAll(() => stack?.stop());

  it('counts a page size passed as a variable against MAX_COST, like the same literal', async () => {
    const query = 'query($n: Int!) { alerts(first: $n) { id status } }';
    // (the field + 2 leaves) × n: 100 items cost 300, 400 items 1200
    expect((await gql(stack.gateway.url, query, { n: 100 }, bearer(key))).errors).toBeUndefined();
    const big = await gql(stack.gateway.url, query, { n: 400 }, bearer(key));
    expect(big.errors?.[0]?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
    expect(big.errors?.[0]?.message).toMatch(/costs 1200, over the limit of 500/);
    expect(big.data ?? null).toBeNull();
    const literal = await gql(stack.gateway.url, '{ alerts(first: 400) { id status } }', {}, bearer(key));
    expect(literal.errors?.[0]?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
  });

  it('caps Profile.journeys with first, counted from a variable', async () => {
    const query = 'query($id: ID!, $n: Int!) { profile(id: $id) { journeys(first: $n) { id } } }';
    // 1 + (the field + id) × n: 100 items cost 201, 500 items 1001, the default 20 items 41
    expect((await gql(stack.gateway.url, query, { id: 'x', n: 100 }, bearer(key))).errors).toBeUndefined();
    const over = await gql(stack.gateway.url, query, { id: 'x', n: 500 }, bearer(key));
    expect(over.errors?.[0]?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
    const withDefault = await gql(stack.gateway.url, '{ profile(id: "x") { journeys { id } } }', {}, bearer(key));
    expect(withDefault.errors).toBeUndefined();
  });

  it('multiplies nested page sizes passed as variables', async () => {
    const query = `query($p: Int!, $j: Int!) { profiles(first: $p) { edges { node { ...J } } } }
      fragment J on Profile { journeys(first: $j) { id } }`;
    expect((await gql(stack.gateway.url, query, { p: 2, j: 2 }, bearer(key))).errors).toBeUndefined();
    const res = await gql(stack.gateway.url, query, { p: 20, j: 20 }, bearer(key));
    expect(res.errors?.[0]?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
  });

  it('counts a list without first as COST_UNPAGED_LIST_SIZE items', async () => {
    // per profile: edges + node + identities (10 × 3) = 32, plus the field: 2 profiles cost 66, 20 cost 660
    const query = 'query($p: Int!) { profiles(first: $p) { edges { node { identities { type value } } } } }';
    expect((await gql(stack.gateway.url, query, { p: 2 }, bearer(key))).errors).toBeUndefined();
    const res = await gql(stack.gateway.url, query, { p: 20 }, bearer(key));
    expect(res.errors?.[0]?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
  });
});

describe('production mode', () => {
  let stack: Stack;
  let key: string;
  beforeAll(async () => {
    // under the SQLite run the stack has no DATABASE_URL, which a production start refuses unless told
    stack = await startStack({ NODE_ENV: 'production', ALLOW_SQLITE_IN_PRODUCTION: 'true' });
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

  it('does not reveal the cost limit', async () => {
    const res = await gql(stack.gateway.url, 'query($n: Int!) { alerts(first: $n) { id } }', { n: 100_000 }, bearer(key));
    expect(res.errors?.[0]?.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
    expect(res.errors?.[0]?.message).not.toMatch(/\d/);
  });

  it('does not suggest field names in errors', async () => {
    const res = await gql(stack.gateway.url, '{ alert { id } }', {}, bearer(key));
    expect(res.errors?.[0]?.message).not.toMatch(/Did you mean/);
  });
});
