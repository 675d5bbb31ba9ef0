import { signContext } from '../../../subgraphs/common/auth-context';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { EventService } from '../../../subgraphs/signals/services/event.service';
import { gql } from '../../fixtures/stack';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const PROFILE = '01a21226-0000-7000-8000-00000000000a';
const INGEST = `mutation($events: [EventInput!]!) { ingestEvents(events: $events) { accepted duplicates errors { index message } } }`;
const EVENTS_OF = `query($reps: [_Any!]!, $first: Int, $types: [String!]) {
  _entities(representations: $reps) { ... on Profile { id events(first: $first, types: $types) { messageId type name timestamp properties profileId } } }
}`;

/** The signals subgraph alone, called with a signed context as the gateway would. */
describe('signals GraphQL: ingestEvents and Profile.events', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;

  beforeAll(async () => {
    env = await createTestEnv();
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
  });
  afterAll(async () => {
    await signals?.close();
    await env?.cleanup();
  });

  const as = (tenantId: string, scopes: string[]) => ({
    'x-foresight-context': signContext({ tenantId, keyId: `key-${tenantId}`, scopes }, env.config.secret, 'signals', 60),
  });
  const ingest = (tenantId: string, events: unknown[], scopes = ['events:write']) => gql(signals.url, INGEST, { events }, as(tenantId, scopes));

  it('stores events and reports accepted, duplicates and refused events by index', async () => {
    const events = [
      { type: 'track', event: 'Order Completed', userId: 'u1', messageId: 'g1', properties: { revenue: 42 }, timestamp: '2026-11-20T10:00:00Z' },
      { type: 'track', userId: 'u1', messageId: 'g2' },
      { type: 'identify', userId: 'u1', messageId: 'g3', traits: { plan: 'pro' }, context: { traits: { email: 'ada@example.com' } } },
      { type: 'track', event: 'Order Completed', userId: 'u1', messageId: 'g1' },
    ];
    const res = await ingest('t1', events);
    expect(res.errors).toBeUndefined();
    expect(res.data!.ingestEvents).toEqual({ accepted: 2, duplicates: 1, errors: [{ index: 1, message: 'track needs event (a non-empty string)' }] });
    const again = await ingest('t1', events);
    expect(again.data!.ingestEvents).toMatchObject({ accepted: 0, duplicates: 3 });
    const rows = await forkAcrossTenants(signals.deps.orm).find(Event, { tenantId: 't1' }, { orderBy: { messageId: 'asc' } });
    expect(rows.map((r) => [r.messageId, r.type])).toEqual([
      ['g1', 'track'],
      ['g3', 'identify'],
    ]);
    expect(rows[0].timestamp.toISOString()).toBe('2026-11-20T10:00:00.000Z');
  });

  it('refuses a caller without events:write', async () => {
    const res = await ingest('t1', [{ type: 'track', event: 'x', userId: 'u1' }], ['profiles:read']);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses more than 1000 events in one call', async () => {
    const events = Array.from({ length: 1001 }, (_, i) => ({ type: 'track', event: 'x', userId: 'u1', messageId: `many-${i}` }));
    const res = await ingest('t1', events);
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  describe('Profile.events', () => {
    beforeAll(async () => {
      await ingest('t2', [
        { type: 'page', name: 'Home', userId: 'u2', messageId: 'p1', timestamp: '2026-11-20T10:00:00Z' },
        { type: 'track', event: 'Clicked', userId: 'u2', messageId: 'p2', timestamp: '2026-11-20T11:00:00Z' },
        { type: 'track', event: 'Bought', userId: 'u2', messageId: 'p3', timestamp: '2026-11-20T12:00:00Z' },
        { type: 'track', event: 'Unresolved', userId: 'u2', messageId: 'p4', timestamp: '2026-11-20T13:00:00Z' },
      ]);
      // what the event-resolved worker does once the profiles stage has resolved them
      const em = forkAcrossTenants(signals.deps.orm);
      for (const row of await em.find(Event, { tenantId: 't2', messageId: { $in: ['p1', 'p2', 'p3'] } })) {
        await new EventService(em, 't2').markResolved(row.id, PROFILE);
      }
    });
    const eventsOf = (tenantId: string, variables: Record<string, unknown> = {}, scopes = ['profiles:read']) =>
      gql(signals.url, EVENTS_OF, { reps: [{ __typename: 'Profile', id: PROFILE }], ...variables }, as(tenantId, scopes));

    it('lists the profile’s resolved events, newest first', async () => {
      const res = await eventsOf('t2');
      expect(res.errors).toBeUndefined();
      expect(res.data!._entities[0].events.map((e: { messageId: string }) => e.messageId)).toEqual(['p3', 'p2', 'p1']);
      expect(res.data!._entities[0].events[0]).toMatchObject({ type: 'track', name: 'Bought', profileId: PROFILE, timestamp: '2026-11-20T12:00:00.000Z' });
    });

    it.each([
      ['first', { first: 1 }, ['p3']],
      ['types', { types: ['page'] }, ['p1']],
    ])('narrows by %s', async (_name, variables, ids) => {
      const res = await eventsOf('t2', variables);
      expect(res.data!._entities[0].events.map((e: { messageId: string }) => e.messageId)).toEqual(ids);
    });

    it('shows nothing of another tenant’s events', async () => {
      const res = await eventsOf('t3');
      expect(res.data!._entities[0].events).toEqual([]);
    });

    it('needs profiles:read', async () => {
      const res = await eventsOf('t2', {}, ['events:write']);
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });
  });
});
