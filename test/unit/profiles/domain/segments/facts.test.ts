import { windowKey } from '../../../../../subgraphs/profiles/domain/segments/condition';
import { distinctWindows, segmentFactsOf } from '../../../../../subgraphs/profiles/domain/segments/facts';

const created = new Date('2026-01-01T00:00:00Z');
const seen = new Date('2026-02-01T00:00:00Z');
const W7 = { event: 'Purchase', days: 7 };
const W30 = { event: 'Purchase', days: 30 };

describe('distinctWindows', () => {
  it('keeps one of each (event, days) in first-seen order', () => {
    expect(distinctWindows([W7, W30, { ...W7 }])).toEqual([W7, W30]);
  });
});

describe('segmentFactsOf', () => {
  const profiles = [
    { id: 'a', traits: { plan: 'pro' }, computedTraits: { totalRevenue: 5 }, createdAt: created },
    { id: 'b', traits: null, computedTraits: null, createdAt: created },
  ];

  it('fills windows without events with 0 and keeps counted ones', () => {
    const facts = segmentFactsOf(profiles, { windows: [W7, W30], counts: new Map([['a', { [windowKey(W30)]: 3 }]]), lastSeen: new Map(), identities: [] });
    expect(facts.get('a')!.eventCounts).toEqual({ [windowKey(W7)]: 0, [windowKey(W30)]: 3 });
    expect(facts.get('b')!.eventCounts).toEqual({ [windowKey(W7)]: 0, [windowKey(W30)]: 0 });
  });

  it('takes the latest event as last seen, and the creation before any event', () => {
    const facts = segmentFactsOf(profiles, { windows: [], counts: new Map(), lastSeen: new Map([['a', seen]]), identities: [] });
    expect(facts.get('a')!.lastSeen).toEqual(seen);
    expect(facts.get('b')!.lastSeen).toEqual(created);
  });

  it('groups identities by kind per profile and defaults missing traits to empty objects', () => {
    const facts = segmentFactsOf(profiles, {
      windows: [],
      counts: new Map(),
      lastSeen: new Map(),
      identities: [
        { profileId: 'a', type: 'email', value: 'a@example.com' },
        { profileId: 'a', type: 'email', value: 'a2@example.com' },
        { profileId: 'a', type: 'user_id', value: 'u1' },
        { profileId: 'c', type: 'email', value: 'stray@example.com' },
      ],
    });
    expect(facts.get('a')).toMatchObject({ traits: { plan: 'pro' }, identities: { email: ['a@example.com', 'a2@example.com'], user_id: ['u1'] } });
    expect(facts.get('b')).toMatchObject({ traits: {}, computedTraits: {}, identities: {} });
    expect(facts.has('c')).toBe(false);
  });
});
