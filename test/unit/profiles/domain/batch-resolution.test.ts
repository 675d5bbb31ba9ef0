import {
  chunkGroups,
  planBatch,
  type BatchEvent,
  type StoredState,
} from '../../../../subgraphs/profiles/domain/batch-resolution';
import type { EventLanding } from '../../../../subgraphs/profiles/domain/follow-ups';
import type { MatchedIdentity } from '../../../../subgraphs/profiles/domain/resolution';
import { applyTraitUpdates } from '../../../../subgraphs/profiles/domain/traits';
import { identityFields } from '../../../fixtures/identity-fields';

const NOW = new Date('2026-01-10T00:00:00Z');

/** An event of the batch: `e<n>` ids, a timestamp on 1 Jan 2026 at `hour`. */
const ev = (n: number, over: Partial<BatchEvent> = {}, hour = n): BatchEvent => ({
  ...identityFields(),
  eventId: `e${n}`,
  timestamp: new Date(Date.UTC(2026, 0, 1, hour)).toISOString(),
  ...over,
});

/** Stored profiles: id → [createdAt day of Jan 2025, identities as `kind:value`]. */
function stored(world: Record<string, [number, string[]]> = {}, recorded: Record<string, EventLanding> = {}): StoredState {
  const identities: MatchedIdentity[] = Object.entries(world).flatMap(([profileId, [, ids]]) =>
    ids.map((text) => ({ kind: text.slice(0, text.indexOf(':')) as MatchedIdentity['kind'], value: text.slice(text.indexOf(':') + 1), profileId })),
  );
  const profiles = Object.entries(world).map(([id, [day, ids]]) => ({
    id,
    createdAt: new Date(Date.UTC(2025, 0, day)),
    userIds: ids.filter((t) => t.startsWith('user_id:')).map((t) => t.slice('user_id:'.length)),
  }));
  return { identities, profiles, recorded: new Map(Object.entries(recorded)) };
}

/** Plans with new profile ids `new-1`, `new-2`, … in the order they are created. */
function plan(events: BatchEvent[], state = stored(), junkValues: string[] = []) {
  let n = 0;
  return planBatch(events, state, { junkValues, newId: () => `new-${++n}`, now: NOW });
}

/** Where each event lands, in short: `create:new-1`, `attach:p1`, `replay:p1`, `none`, `locked`. */
const landings = (result: ReturnType<typeof plan>) =>
  result.events.map((r) => (r.path === 'batch' ? `${r.action}:${r.profileId}` : r.path === 'replay' ? `replay:${r.landing.profileId}` : r.path));

describe('planBatch', () => {
  it.each<[string, BatchEvent[], StoredState, string[]]>([
    ['a new customer: created once, then attached', [ev(1, { anonymousId: 'a' }), ev(2, { anonymousId: 'a' })], stored(), ['create:new-1', 'attach:new-1']],
    ['a known customer: attached to the stored profile', [ev(1, { userId: 'u1' }), ev(2, { anonymousId: 'dev' })], stored({ p1: [1, ['user_id:u1']], p2: [2, ['anonymous_id:dev']] }), ['attach:p1', 'attach:p2']],
    [
      'anonymous → identified: the identify links the device, the next track by userId lands there',
      [ev(1, { anonymousId: 'a' }), ev(2, { type: 'identify', anonymousId: 'a', userId: 'u1' }), ev(3, { userId: 'u1' })],
      stored(),
      ['create:new-1', 'attach:new-1', 'attach:new-1'],
    ],
    [
      'junk ids claim nothing: built-in and configured junk, processed unattributed',
      [ev(1, { userId: 'undefined', anonymousId: '0' }), ev(2, { userId: 'TEST-USER' }), ev(3, { userId: 'u1', anonymousId: 'anonymous' })],
      stored(),
      ['none', 'none', 'create:new-1'],
    ],
    ['a replayed event is reported where it landed, and changes nothing', [ev(1, { anonymousId: 'a' })], stored({ p1: [1, ['anonymous_id:a']] }, { e1: { profileId: 'p1', mergedIds: ['p0'] } }), ['replay:p1']],
    [
      'merge detection: a device of a stored user linked to that user → the whole customer goes locked, others stay',
      [ev(1, { anonymousId: 'laptop' }), ev(2, { anonymousId: 'x' }), ev(3, { userId: 'u1', anonymousId: 'laptop' })],
      stored({ p1: [1, ['user_id:u1']], p2: [2, ['anonymous_id:laptop']] }),
      ['locked', 'create:new-1', 'locked'],
    ],
    [
      'merge detection between two profiles the batch itself created',
      [ev(1, { anonymousId: 'a' }), ev(2, { anonymousId: 'b' }), ev(3, { type: 'alias', userId: 'u1', anonymousId: 'b', previousId: 'a' }), ev(4, { anonymousId: 'b' })],
      stored(),
      ['locked', 'locked', 'locked', 'locked'],
    ],
    ['a group call takes the locked path (account traits and membership)', [ev(1, { type: 'group', userId: 'u1', groupId: 'acme' })], stored(), ['locked']],
    [
      'two user ids never merge: an email of another user stays with its owner',
      [ev(1, { userId: 'u2', traits: { email: 'family@example.com' } })],
      stored({ p1: [1, ['user_id:u1', 'email:family@example.com']] }),
      ['create:new-1'],
    ],
    [
      'two user ids never merge, also when the batch gave the profile its user id',
      [ev(1, { anonymousId: 'dev', userId: 'u1' }), ev(2, { userId: 'u2', traits: { email: 'e@x.io' } }), ev(3, { userId: 'u1', traits: { email: 'e@x.io' } })],
      stored({ p1: [1, ['anonymous_id:dev']] }),
      ['attach:p1', 'create:new-1', 'attach:p1'],
    ],
  ])('%s', (_name, events, state, expected) => {
    expect(landings(plan(events, state, ['test-user']))).toEqual(expected);
  });

  it('lists the new profiles and identities of each group, and keeps customers apart in job order', () => {
    const result = plan([ev(1, { anonymousId: 'a' }), ev(2, { anonymousId: 'b' }), ev(3, { type: 'identify', anonymousId: 'a', userId: 'u1', traits: { email: 'Ada@X.io' } })]);
    expect(result.groups).toEqual([
      {
        events: [0, 2],
        path: 'batch',
        newProfiles: ['new-1'],
        newIdentities: [
          { kind: 'anonymous_id', value: 'a', profileId: 'new-1' },
          { kind: 'user_id', value: 'u1', profileId: 'new-1' },
          { kind: 'email', value: 'ada@x.io', profileId: 'new-1' },
        ],
        traitUpdates: [{ profileId: 'new-1', traits: { email: 'Ada@X.io' }, at: Date.parse(ev(3).timestamp) }],
      },
      { events: [1], path: 'batch', newProfiles: ['new-2'], newIdentities: [{ kind: 'anonymous_id', value: 'b', profileId: 'new-2' }], traitUpdates: [] },
    ]);
  });

  it('collects identify traits in job order; last-write-wins by event time whatever the order', () => {
    const events = [
      ev(1, { type: 'identify', userId: 'u1', traits: { plan: 'pro', seats: 5 } }, 10),
      ev(2, { type: 'identify', userId: 'u1', traits: { plan: 'free', city: 'Oslo' } }, 8),
      ev(3, { userId: 'u1', traits: { plan: 'trial' } }, 12),
      ev(4, { type: 'identify', userId: 'u1', traits: { city: 'Bergen' } }, 11),
    ];
    const result = plan(events, stored({ p1: [1, ['user_id:u1']] }));
    const updates = result.groups[0].traitUpdates;
    expect(updates.map((u) => u.traits)).toEqual([{ plan: 'pro', seats: 5 }, { plan: 'free', city: 'Oslo' }, { city: 'Bergen' }]);
    const stale = { traits: { plan: 'basic', city: 'Rome' }, timestamps: { plan: Date.UTC(2026, 0, 1, 9), city: Date.UTC(2026, 0, 1, 12) } };
    const final = applyTraitUpdates(stale, updates);
    expect(final.traits).toEqual({ plan: 'pro', seats: 5, city: 'Rome' });
    expect(applyTraitUpdates(stale, [...updates].reverse()).traits).toEqual(final.traits);
  });

  it('plans nothing visible of a locked group for the groups after it', () => {
    const result = plan([ev(1, { anonymousId: 'a' }), ev(2, { userId: 'u1', anonymousId: 'a' })], stored({ p1: [1, ['user_id:u1']], p2: [2, ['anonymous_id:a']] }));
    expect(result.groups).toEqual([{ events: [0, 1], path: 'locked', newProfiles: [], newIdentities: [], traitUpdates: [] }]);
  });
});

describe('chunkGroups', () => {
  const g = (size: number) => ({ events: Array.from({ length: size }, (_v, i) => i) });
  it.each<[number[], number, number[][]]>([
    [[3, 3, 3], 6, [[3, 3], [3]]],
    [[10, 1], 4, [[10], [1]]],
    [[1, 1, 1], 100, [[1, 1, 1]]],
    [[], 5, []],
  ])('groups of %j, at most %d events a chunk → %j', (sizes, max, expected) => {
    expect(chunkGroups(sizes.map(g), max).map((chunk) => chunk.map((x) => x.events.length))).toEqual(expected);
  });
  it('refuses a chunk size below 1', () => expect(() => chunkGroups([g(1)], 0)).toThrow(RangeError));
});
