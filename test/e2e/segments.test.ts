import { Queue } from 'bullmq';

import { EVALUATE_SEGMENTS, queueOptions } from '../../subgraphs/common/queues';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';
import { subscribe } from '../fixtures/ws-client';

const SEGMENT_FIELDS = 'id name description condition timeBased version memberCount';
const CREATE = `mutation($input: CreateSegmentInput!) { createSegment(input: $input) { ${SEGMENT_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateSegmentInput!) { updateSegment(id: $id, input: $input) { ${SEGMENT_FIELDS} } }`;
const DELETE = `mutation($id: ID!) { deleteSegment(id: $id) }`;
const SEGMENT = `query($id: ID!) { segment(id: $id) { ${SEGMENT_FIELDS} } }`;
const MEMBERS = /* GraphQL */ `
  query($segmentId: ID!, $first: Int, $after: String) {
    segmentMembers(segmentId: $segmentId, first: $first, after: $after) {
      memberCount
      pageInfo { hasNextPage endCursor }
      edges { cursor node { enteredAt exitedAt segment { name } profile { id traits } } }
    }
  }
`;
const CHANGES = /* GraphQL */ `
  subscription($segmentIds: [ID!]) {
    segmentMembershipChanged(segmentIds: $segmentIds) {
      change
      segmentId
      segmentName
      at
      profile { id traits identities { type value } }
    }
  }
`;

const pro = { path: 'traits.plan', op: 'eq', value: 'pro' };

describe('segments through the gateway', () => {
  let stack: Stack;
  let admin: string;
  let writer: string;
  let reader: string;
  let otherTenant: string;
  const profileIds: Record<string, string> = {};

  const call = async (key: string, query: string, variables: Record<string, unknown> = {}) => gql(stack.gateway.url, query, variables, bearer(key));
  const memberCount = async (id: string) => (await call(reader, SEGMENT, { id })).data?.segment?.memberCount as number;

  beforeAll(async () => {
    stack = await startStack();
    admin = await stack.key('seg-a', ['admin']);
    writer = await stack.key('seg-a', ['actions:write', 'profiles:read']);
    reader = await stack.key('seg-a', ['profiles:read']);
    otherTenant = await stack.key('seg-b', ['admin']);
    for (const [userId, plan] of [['ada', 'pro'], ['bob', 'pro'], ['cy', 'free']]) {
      const res = await call(admin, `mutation($input: UpsertProfileInput!) { upsertProfile(input: $input) { id } }`, {
        input: { identities: [{ type: 'USER_ID', value: userId }], traits: { plan } },
      });
      profileIds[userId] = res.data!.upsertProfile.id;
    }
  });
  afterAll(() => stack?.stop());

  it('creates a segment and fills it from existing profiles in the background', async () => {
    const res = await call(admin, CREATE, { input: { name: 'Pro plan', description: 'Paying customers', condition: pro } });
    expect(res.errors).toBeUndefined();
    const segment = res.data!.createSegment;
    expect(segment).toMatchObject({ name: 'Pro plan', description: 'Paying customers', condition: pro, timeBased: false, version: 1 });
    await waitFor(async () => (await memberCount(segment.id)) === 2);

    const first = await call(reader, MEMBERS, { segmentId: segment.id, first: 1 });
    expect(first.errors).toBeUndefined();
    const page = first.data!.segmentMembers;
    expect(page.memberCount).toBe(2);
    expect(page.pageInfo.hasNextPage).toBe(true);
    expect(page.edges[0].node).toMatchObject({ exitedAt: null, segment: { name: 'Pro plan' }, profile: { traits: { plan: 'pro' } } });
    const second = await call(reader, MEMBERS, { segmentId: segment.id, first: 1, after: page.pageInfo.endCursor });
    const rest = second.data!.segmentMembers;
    expect(rest.pageInfo.hasNextPage).toBe(false);
    expect([page.edges[0].node.profile.id, rest.edges[0].node.profile.id].sort()).toEqual([profileIds.ada, profileIds.bob].sort());

    const profile = await call(reader, `query($id: ID!) { profile(id: $id) { segments { enteredAt segment { id name } } } }`, { id: profileIds.ada });
    expect(profile.data!.profile.segments).toEqual([{ enteredAt: expect.any(String), segment: { id: segment.id, name: 'Pro plan' } }]);
    const listed = await call(reader, '{ segments { name memberCount } }');
    expect(listed.data!.segments).toContainEqual({ name: 'Pro plan', memberCount: 2 });
  });

  it('refuses segment mutations without actions:write, naming the field and the scope', async () => {
    const res = await call(reader, CREATE, { input: { name: 'Nope', condition: pro } });
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(res.errors?.[0]?.message).toContain('Mutation.createSegment needs actions:write');
    expect(res.data ?? null).toBeNull();
  });

  it('answers BAD_USER_INPUT with the offending path for an invalid condition, and CONFLICT for a taken name', async () => {
    const bad = await call(writer, CREATE, { input: { name: 'Bad', condition: { or: [pro, { path: 'traits.age', op: 'gt' }] } } });
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', conditionPath: 'condition.or[1].value' });
    expect(bad.errors?.[0]?.message).toContain('condition.or[1].value');
    const taken = await call(writer, CREATE, { input: { name: 'Pro plan', condition: pro } });
    expect(taken.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });

  it('updates a segment with actions:write and re-evaluates its members', async () => {
    const created = await call(writer, CREATE, { input: { name: 'Plan watch', condition: pro } });
    const id = created.data!.createSegment.id;
    await waitFor(async () => (await memberCount(id)) === 2);
    const updated = await call(writer, UPDATE, { id, input: { condition: { path: 'traits.plan', op: 'eq', value: 'free' }, description: 'now free' } });
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateSegment).toMatchObject({ version: 2, description: 'now free' });
    await waitFor(async () => (await memberCount(id)) === 1);
    const members = await call(reader, MEMBERS, { segmentId: id });
    expect(members.data!.segmentMembers.edges.map((e: { node: { profile: { id: string } } }) => e.node.profile.id)).toEqual([profileIds.cy]);
  });

  it('streams entries to a segmentMembershipChanged subscriber, with the profile hydrated', async () => {
    const created = await call(writer, CREATE, { input: { name: 'Free plan', condition: { path: 'traits.plan', op: 'eq', value: 'free' } } });
    const free = created.data!.createSegment.id;
    // subscribe to a segment that has no members yet, then make one through the profiles queue
    const other = await call(writer, CREATE, { input: { name: 'Enterprise', condition: { path: 'traits.plan', op: 'eq', value: 'enterprise' } } });
    const enterprise = other.data!.createSegment.id;
    await waitFor(async () => (await memberCount(free)) === 1);
    const sub = subscribe(stack.gateway.wsUrl, CHANGES, { segmentIds: [enterprise] }, { authorization: `Bearer ${reader}` });
    const queue = new Queue(EVALUATE_SEGMENTS, queueOptions(stack.subgraphs.profiles.deps.redis, stack.config.queuePrefix));
    try {
      await new Promise((r) => setTimeout(r, 500));
      await call(admin, `mutation($input: UpsertProfileInput!) { upsertProfile(input: $input) { id } }`, {
        input: { identities: [{ type: 'USER_ID', value: 'cy' }], traits: { plan: 'enterprise' } },
      });
      // what identity resolution queues after every event of the profile
      await queue.add(EVALUATE_SEGMENTS, { tenantId: 'seg-a', profileId: profileIds.cy }, { jobId: `seg-a-${profileIds.cy}-e2e` });
      const [event] = await sub.next(1);
      expect(event.errors).toBeUndefined();
      expect(event.data!.segmentMembershipChanged).toEqual({
        change: 'ENTERED',
        segmentId: enterprise,
        segmentName: 'Enterprise',
        at: expect.any(String),
        profile: { id: profileIds.cy, traits: { plan: 'enterprise' }, identities: [{ type: 'USER_ID', value: 'cy' }] },
      });
      // the exit from "Free plan" was filtered out by segmentIds
      await waitFor(async () => (await memberCount(free)) === 0);
      await new Promise((r) => setTimeout(r, 300));
      expect(sub.results).toHaveLength(1);
    } finally {
      await sub.close();
      await queue.close();
    }
  });

  it('refuses a subscriber without profiles:read', async () => {
    const partner = await stack.key('seg-a', ['risk:subscribe']);
    const sub = subscribe(stack.gateway.wsUrl, CHANGES, {}, { authorization: `Bearer ${partner}` });
    const [result] = await sub.next(1);
    expect(result.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await sub.close();
  });

  it('keeps tenants apart', async () => {
    const mine = await call(admin, CREATE, { input: { name: 'Private', condition: pro } });
    const id = mine.data!.createSegment.id;
    expect((await call(otherTenant, SEGMENT, { id })).data!.segment).toBeNull();
    expect((await call(otherTenant, MEMBERS, { segmentId: id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await call(otherTenant, UPDATE, { id, input: { name: 'Mine now' } })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect((await call(otherTenant, DELETE, { id })).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    // the same name is free in another tenant
    expect((await call(otherTenant, CREATE, { input: { name: 'Private', condition: pro } })).errors).toBeUndefined();
  });

  it('moves a profile in and out when upsertProfile changes its traits', async () => {
    const created = await call(writer, CREATE, { input: { name: 'enterprise', condition: { path: 'traits.plan', op: 'eq', value: 'enterprise' } } });
    const id = created.data!.createSegment.id as string;
    const setPlan = (plan: string) =>
      call(admin, `mutation($input: UpsertProfileInput!) { upsertProfile(input: $input) { id } }`, {
        input: { identities: [{ type: 'USER_ID', value: 'cy' }], traits: { plan } },
      });
    await setPlan('enterprise');
    await waitFor(async () => (await memberCount(id)) === 1);
    await setPlan('free');
    await waitFor(async () => (await memberCount(id)) === 0);
  });

  it('deletes a segment', async () => {
    const created = await call(writer, CREATE, { input: { name: 'Short-lived', condition: pro } });
    const id = created.data!.createSegment.id;
    expect((await call(writer, DELETE, { id })).data).toEqual({ deleteSegment: id });
    expect((await call(reader, SEGMENT, { id })).data!.segment).toBeNull();
  });
});
