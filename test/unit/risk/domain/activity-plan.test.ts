import type { RecordActivityJob } from '../../../../subgraphs/common/queues';
import { planActivity, splitAtMerges, statementsOf } from '../../../../subgraphs/risk/domain/activity-plan';

const T = 'acme';
const at = '2026-11-01T00:00:00.000Z';
const event = (profileId: string, eventId: string): RecordActivityJob => ({ kind: 'event', tenantId: T, profileId, eventId, type: 'track', name: 'Used', timestamp: at, revenue: null, traits: {} });
const signal = (profileId: string, signalId: string): RecordActivityJob => ({ kind: 'signal', tenantId: T, profileId, signalId, type: 'retry_loop', severity: 0.5, detectedAt: at, journeyInstanceId: null, summary: 's' });
const segment = (profileId: string, membershipId: string, change: 'entered' | 'exited', when = at): RecordActivityJob =>
  ({ kind: 'segment', tenantId: T, profileId, segmentId: 'seg', segmentName: 'Seg', membershipId, change, at: when }) as RecordActivityJob;
const merge = (profileId: string, mergedProfileId: string): RecordActivityJob => ({ kind: 'merge', tenantId: T, profileId, mergedProfileId });

describe('planActivity', () => {
  it.each([
    ['one event', [event('p1', 'e1')], { events: 1, signals: 0, memberships: 0, exits: 0, touched: ['p1'] }],
    ['a replayed event in the same run is stored once', [event('p1', 'e1'), event('p1', 'e1')], { events: 1, signals: 0, memberships: 0, exits: 0, touched: ['p1'] }],
    ['events and signals of two profiles', [event('p1', 'e1'), signal('p2', 's1'), event('p2', 'e2')], { events: 2, signals: 1, memberships: 0, exits: 0, touched: ['p1', 'p2'] }],
    ['a segment change moves no score', [segment('p3', 'm1', 'entered')], { events: 0, signals: 0, memberships: 1, exits: 0, touched: [] }],
    ['an entry and its exit: one stay, closed', [segment('p3', 'm1', 'entered'), segment('p3', 'm1', 'exited', '2026-11-02T00:00:00.000Z')], { events: 0, signals: 0, memberships: 1, exits: 1, touched: [] }],
  ])('%s', (_name, items, expected) => {
    const plan = planActivity(items, new Map());
    expect({ events: plan.events.length, signals: plan.signals.length, memberships: plan.memberships.length, exits: plan.exits.size, touched: plan.touched }).toEqual(expected);
  });

  it('stores activity of a merged-away profile under its survivor', () => {
    const plan = planActivity([event('old', 'e1'), signal('old', 's1'), event('p2', 'e2')], new Map([['old', 'new']]));
    expect(plan.events.map((e) => e.profileId)).toEqual(['new', 'p2']);
    expect(plan.signals.map((s) => s.profileId)).toEqual(['new']);
    expect(plan.touched).toEqual(['new', 'p2']);
  });

  it('opens a stay first seen by its exit at the exit time, and closes it', () => {
    const plan = planActivity([segment('p', 'm', 'exited', '2026-11-03T00:00:00.000Z')], new Map());
    expect(plan.memberships[0].enteredAt.toISOString()).toBe('2026-11-03T00:00:00.000Z');
    expect([...plan.exits]).toEqual([['2026-11-03T00:00:00.000Z', ['m']]]);
  });

  it('refuses a merge (merges take their own path)', () => {
    expect(() => planActivity([merge('a', 'b')], new Map())).toThrow(RangeError);
  });

  it.each([
    [[event('p', 'e1')], 1],
    [[event('p', 'e1'), signal('p', 's1')], 2],
    [[segment('p', 'm', 'entered'), segment('p', 'm', 'exited')], 2],
    [[], 0],
  ])('counts the statements a plan takes (%#)', (items, statements) => {
    expect(statementsOf(planActivity(items, new Map()))).toBe(statements);
  });
});

describe('splitAtMerges', () => {
  it('cuts runs at merges, in order', () => {
    const items = [event('a', '1'), event('b', '2'), merge('a', 'b'), event('b', '3'), merge('c', 'a')];
    const parts = splitAtMerges(items);
    expect(parts.map((p) => (Array.isArray(p) ? p.length : 'merge'))).toEqual([2, 'merge', 1, 'merge']);
  });

  it('leaves a batch without merges whole', () => {
    expect(splitAtMerges([event('a', '1'), event('b', '2')])).toEqual([[event('a', '1'), event('b', '2')]]);
  });
});
