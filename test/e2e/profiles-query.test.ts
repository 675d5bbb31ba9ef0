import { Queue } from 'bullmq';

import { RESOLVE_IDENTITY, queueOptions, type EventToResolve, type ResolveIdentityJob } from '../../subgraphs/common/queues';
import { resolveJob } from '../fixtures/resolve-identity-job';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const DAY = 24 * 3600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

const ev = (tenantId: string, over: Partial<EventToResolve>): EventToResolve => resolveJob(tenantId, { name: null, ...over });

const PAGE = /* GraphQL */ `
  query Page($first: Int, $after: String, $filter: ProfilesFilter) {
    profiles(first: $first, after: $after, filter: $filter) {
      edges { cursor node { id traits computedTraits identities { type value } groups { groupId traits } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

describe('profiles query through the gateway', () => {
  let stack: Stack;
  let queue: Queue<ResolveIdentityJob>;
  let reader: string;

  /** Adds resolve jobs to the real queue one after another (order matters for merges) and waits for each. */
  async function feed(events: EventToResolve[]): Promise<void> {
    for (const data of events) {
      const job = await queue.add(RESOLVE_IDENTITY, { tenantId: data.tenantId, events: [data] }, { jobId: `${data.tenantId}-${data.eventId}` });
      await waitFor(async () => (await queue.getJobState(job.id!)) === 'completed');
    }
  }

  const page = (variables: Record<string, unknown>, key = reader) => gql(stack.gateway.url, PAGE, variables, bearer(key));

  beforeAll(async () => {
    stack = await startStack();
    const profiles = stack.subgraphs.profiles.deps;
    queue = new Queue<ResolveIdentityJob>(RESOLVE_IDENTITY, queueOptions(profiles.redis, stack.config.queuePrefix));
    reader = await stack.key('acme', ['profiles:read']);
    const users = ['u-1', 'u-2', 'u-3', 'u-4', 'u-5'];
    await feed([
      ...users.map((userId, i) =>
        ev('acme', { type: 'identify', userId, traits: { plan: i % 2 === 0 ? 'pro' : 'free', email: `${userId}@acme.io` } }),
      ),
      ev('acme', { name: 'Order Completed', userId: 'u-1', properties: { revenue: 120 }, timestamp: ago(2 * DAY) }),
      ev('acme', { name: 'Order Completed', userId: 'u-1', properties: { total: 30.25 }, timestamp: ago(45 * DAY) }),
      ev('acme', { type: 'group', userId: 'u-1', groupId: 'acme-corp', traits: { name: 'Acme Corp', seats: 40 } }),
      ev('globex', { type: 'identify', userId: 'g-1', traits: { plan: 'pro' } }),
    ]);
  });
  afterAll(async () => {
    await queue?.close();
    await stack?.stop();
  });

  it('pages through every profile in id order with opaque cursors', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res = await page({ first: 2, after });
      expect(res.errors).toBeUndefined();
      const { edges, pageInfo } = res.data!.profiles;
      seen.push(...edges.map((e: { node: { id: string } }) => e.node.id));
      expect(pageInfo.endCursor).toBe(edges.at(-1)?.cursor ?? null);
      after = pageInfo.hasNextPage ? pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(5);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(5);
  });

  it('exposes computed traits kept current by the worker', async () => {
    const res = await page({ filter: { identity: { type: 'USER_ID', value: 'u-1' } } });
    expect(res.errors).toBeUndefined();
    const [edge] = res.data!.profiles.edges;
    expect(edge.node.computedTraits).toMatchObject({
      orderCount: 2,
      totalRevenue: 150.25,
      eventCount: 4,
      eventCounts: { 'Order Completed': { '7d': 1, '30d': 1, '90d': 2 } },
    });
    expect(edge.node.groups).toEqual([{ groupId: 'acme-corp', traits: { name: 'Acme Corp', seats: 40 } }]);
    expect(edge.node.identities).toEqual(expect.arrayContaining([{ type: 'EMAIL', value: 'u-1@acme.io' }]));
  });

  it.each<[string, Record<string, unknown>, number]>([
    ['trait equality', { traits: { plan: 'pro' } }, 3],
    ['two traits', { traits: { plan: 'pro', email: 'u-3@acme.io' } }, 1],
    ['an identity (normalised)', { identity: { type: 'EMAIL', value: ' U-2@ACME.io ' } }, 1],
    ['updatedSince in the future', { updatedSince: new Date(Date.now() + DAY).toISOString() }, 0],
    ['updatedSince in the past', { updatedSince: ago(DAY) }, 5],
  ])('filters by %s', async (_name, filter, count) => {
    const res = await page({ filter, first: 50 });
    expect(res.errors).toBeUndefined();
    expect(res.data!.profiles.edges).toHaveLength(count);
  });

  it('answers the id of a merged profile with the survivor, listing it in mergedFrom', async () => {
    await feed([ev('acme', { anonymousId: 'laptop-9' })]);
    const anon = await gql(stack.gateway.url, `{ profileByIdentity(type: ANONYMOUS_ID, value: "laptop-9") { id } }`, {}, bearer(reader));
    const anonId: string = anon.data!.profileByIdentity.id;
    await feed([ev('acme', { type: 'identify', userId: 'u-2', anonymousId: 'laptop-9' })]);

    const res = await gql(stack.gateway.url, `query($id: ID!) { profile(id: $id) { id mergedFrom identities { type value } } }`, { id: anonId }, bearer(reader));
    expect(res.errors).toBeUndefined();
    expect(res.data!.profile.id).not.toBe(anonId);
    expect(res.data!.profile.mergedFrom).toEqual([anonId]);
    expect(res.data!.profile.identities).toEqual(expect.arrayContaining([{ type: 'USER_ID', value: 'u-2' }, { type: 'ANONYMOUS_ID', value: 'laptop-9' }]));
    expect((await page({ first: 50 })).data!.profiles.edges).toHaveLength(5);
  });

  it('keeps tenants apart', async () => {
    const globex = await stack.key('globex', ['profiles:read']);
    const res = await page({ first: 50 }, globex);
    expect(res.data!.profiles.edges.map((e: { node: { traits: unknown } }) => e.node.traits)).toEqual([{ plan: 'pro' }]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a forged cursor', { after: Buffer.from('not-a-profile').toString('base64url') }, 'BAD_USER_INPUT'],
    ['a page size over 200', { first: 201 }, 'BAD_USER_INPUT'],
    ['a nested trait value', { filter: { traits: { plan: { in: ['pro'] } } } }, 'BAD_USER_INPUT'],
  ])('refuses %s', async (_name, variables, code) => {
    const res = await page(variables);
    expect(res.errors?.[0]?.extensions?.code).toBe(code);
  });

  it('needs the profiles:read scope', async () => {
    const key = await stack.key('acme', ['risk:read']);
    const res = await page({ first: 1 }, key);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
