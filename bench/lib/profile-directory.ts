// Which profile each user became, asked through the gateway like any client would (so the
// benchmark depends on the public schema, not on a subgraph's tables).

const PAGE = /* GraphQL */ `
  query ($after: String) {
    profiles(first: 100, after: $after) {
      edges { node { id identities { type value } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

interface PageResult {
  data?: { profiles: { edges: { node: { id: string; identities: { type: string; value: string }[] } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } };
  errors?: { message: string }[];
}

/** userId → profile id of every profile of the key's tenant (at most `maxPages` pages of 100). */
export async function profilesByUserId(graphqlUrl: string, key: string, maxPages = 1000): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let after: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const res = await fetch(graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: PAGE, variables: { after } }),
      signal: AbortSignal.timeout(30_000),
    });
    const body = (await res.json()) as PageResult;
    if (body.errors?.length || !body.data) throw new Error(`profiles query failed (HTTP ${res.status}): ${JSON.stringify(body.errors ?? body).slice(0, 300)}`);
    for (const { node } of body.data.profiles.edges) {
      for (const identity of node.identities) if (identity.type === 'USER_ID') out.set(identity.value, node.id);
    }
    if (!body.data.profiles.pageInfo.hasNextPage) break;
    after = body.data.profiles.pageInfo.endCursor;
  }
  return out;
}
