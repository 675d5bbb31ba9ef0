import { resolveIdentityJobId, toEventToResolve, toResolveIdentityJobs, type ResolvableEvent } from '../../../../../subgraphs/signals/domain/events/resolve-identity-job';

const event = (over: Partial<ResolvableEvent> = {}): ResolvableEvent => ({
  messageId: 'm1',
  type: 'identify',
  name: null,
  userId: 'u1',
  anonymousId: 'a1',
  previousId: null,
  groupId: null,
  traits: {},
  properties: {},
  context: {},
  timestamp: new Date('2026-11-25T12:00:00Z'),
  ...over,
});

describe('toEventToResolve', () => {
  it('carries the ids, the event name and the timestamp as ISO', () => {
    expect(toEventToResolve('t1', 'e1', event({ type: 'track', name: 'Order Completed', properties: { revenue: 9 } }))).toEqual({
      tenantId: 't1',
      eventId: 'e1',
      messageId: 'm1',
      type: 'track',
      name: 'Order Completed',
      userId: 'u1',
      anonymousId: 'a1',
      previousId: null,
      groupId: null,
      traits: {},
      properties: { revenue: 9 },
      externalIds: [],
      timestamp: '2026-11-25T12:00:00.000Z',
    });
  });

  it.each([
    ['only traits', { plan: 'pro' }, {}, { plan: 'pro' }],
    ['only context.traits (a track call)', {}, { traits: { email: 'ada@example.com' } }, { email: 'ada@example.com' }],
    ['both, the event’s own winning', { plan: 'pro' }, { traits: { plan: 'free', email: 'ada@example.com' } }, { plan: 'pro', email: 'ada@example.com' }],
    ['a non-object context.traits, ignored', { plan: 'pro' }, { traits: 'junk' }, { plan: 'pro' }],
  ])('merges traits: %s', (_name, traits, context, expected) => {
    expect(toEventToResolve('t1', 'e1', event({ traits, context })).traits).toEqual(expected);
  });

  it.each([
    ['none', undefined, []],
    ['a well-formed list', [{ id: 'c-1', type: 'crm_id', collection: 'users' }], [{ id: 'c-1', type: 'crm_id' }]],
    ['a numeric id', [{ id: 77, type: 'zendesk' }], [{ id: '77', type: 'zendesk' }]],
    ['entries without id or type, dropped', [{ id: '', type: 'x' }, { id: 'y' }, 'z', null, { id: 'ok', type: 't' }], [{ id: 'ok', type: 't' }]],
    ['not a list', { id: 'x', type: 'y' }, []],
  ])('reads context.externalIds: %s', (_name, externalIds, expected) => {
    expect(toEventToResolve('t1', 'e1', event({ context: { externalIds } })).externalIds).toEqual(expected);
  });
});

describe('resolveIdentityJobId', () => {
  it('joins tenant and event with a dash (BullMQ reserves the colon)', () => {
    expect(resolveIdentityJobId('acme', ['01a2-b'])).toBe('acme-01a2-b');
  });

  it('names the first and the last event of several', () => {
    expect(resolveIdentityJobId('acme', ['e1', 'e2', 'e3'])).toBe('acme-e1-e3');
  });
});

describe('toResolveIdentityJobs', () => {
  const stored = (tenantId: string, id: string) => ({ ...event({ messageId: `m-${id}` }), tenantId, id });

  it('makes one job per tenant, keeping the order of each tenant’s events', () => {
    const jobs = toResolveIdentityJobs([stored('t1', 'a'), stored('t2', 'b'), stored('t1', 'c')]);
    expect(jobs.map((j) => [j.jobId, j.data.tenantId, j.data.events.map((e) => [e.tenantId, e.eventId, e.messageId])])).toEqual([
      ['t1-a-c', 't1', [['t1', 'a', 'm-a'], ['t1', 'c', 'm-c']]],
      ['t2-b', 't2', [['t2', 'b', 'm-b']]],
    ]);
  });

  it('splits a tenant’s events into jobs of at most maxPerJob', () => {
    const events = ['a', 'b', 'c', 'd', 'e'].map((id) => stored('t1', id));
    expect(toResolveIdentityJobs(events, 2).map((j) => [j.jobId, j.data.events.length])).toEqual([
      ['t1-a-b', 2],
      ['t1-c-d', 2],
      ['t1-e', 1],
    ]);
  });

  it('makes no job of no events', () => {
    expect(toResolveIdentityJobs([])).toEqual([]);
  });
});
