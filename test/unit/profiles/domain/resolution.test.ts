import {
  extractIdentityClaims,
  lookupKeys,
  planResolution,
  type CandidateProfile,
  type EventIdentityFields,
  type IdentityClaim,
  type MatchedIdentity,
} from '../../../../subgraphs/profiles/domain/resolution';
import { identityFields } from '../../../fixtures/identity-fields';

const event = identityFields;

/** Stored profiles of one scenario: id → [createdAt (day of Jan 2025), identities]. */
type World = Record<string, [day: number, identities: string[]]>;

/** `user_id:u1` → { kind, value }. */
const parse = (text: string) => {
  const at = text.indexOf(':');
  return { kind: text.slice(0, at) as MatchedIdentity['kind'], value: text.slice(at + 1) };
};

/** What the service would load for these claims from a world. */
function lookup(claims: IdentityClaim[], world: World): { matches: MatchedIdentity[]; profiles: CandidateProfile[] } {
  const wanted = new Set(lookupKeys(claims).map((k) => `${k.kind}:${k.value}`));
  const matches: MatchedIdentity[] = [];
  for (const [profileId, [, identities]] of Object.entries(world)) {
    for (const text of identities) if (wanted.has(text)) matches.push({ ...parse(text), profileId });
  }
  const ids = new Set(matches.map((m) => m.profileId));
  const profiles = [...ids].map((id) => ({
    id,
    createdAt: new Date(Date.UTC(2025, 0, world[id][0])),
    userIds: world[id][1].filter((t) => t.startsWith('user_id:')).map((t) => parse(t).value),
  }));
  return { matches, profiles };
}

function plan(e: EventIdentityFields, world: World, junk: string[] = []) {
  const claims = extractIdentityClaims(e, junk);
  const { matches, profiles } = lookup(claims, world);
  return planResolution(claims, matches, profiles);
}

const keys = (...texts: string[]) => texts.map(parse);

describe('extractIdentityClaims', () => {
  it.each<[string, EventIdentityFields, string[]]>([
    [
      'orders identities userId > email > anonymousId > phone > external ids',
      event({
        userId: 'u1',
        anonymousId: 'a1',
        traits: { email: ' Ada@Example.COM ', phone: '+1 (555) 010-0199' },
        externalIds: [{ id: 'cus_9', type: 'Stripe_Customer_Id' }],
      }),
      ['user_id:u1', 'email:ada@example.com', 'anonymous_id:a1', 'phone:+15550100199', 'external:stripe_customer_id:cus_9'],
    ],
    ['drops junk identifiers', event({ userId: 'null', anonymousId: '00000000-0000-0000-0000-000000000000', traits: { email: 'undefined', phone: '-1' } }), []],
    ['drops an external id with junk id or no type', event({ anonymousId: 'a1', externalIds: [{ id: '0', type: 'crm' }, { id: 'x', type: ' ' }] }), ['anonymous_id:a1']],
    ['takes numeric ids as text', event({ userId: 42 as unknown as string }), ['user_id:42']],
    ['ignores non-scalar traits', event({ anonymousId: 'a1', traits: { email: { value: 'x@y.z' } } }), ['anonymous_id:a1']],
    ['skips email and phone of group events (they describe the account)', event({ type: 'group', userId: 'u1', traits: { email: 'billing@acme.io' } }), ['user_id:u1']],
    ['claims an alias previousId last', event({ type: 'alias', userId: 'u1', previousId: 'a1' }), ['user_id:u1', 'anonymous_id:a1']],
    ['drops a previousId equal to the userId', event({ type: 'alias', userId: 'u1', previousId: 'u1' }), ['user_id:u1']],
    ['ignores previousId outside alias events', event({ anonymousId: 'a1', previousId: 'p1' }), ['anonymous_id:a1']],
  ])('%s', (_name, e, expected) => {
    expect(extractIdentityClaims(e).map((c) => `${c.kind}:${c.value}`)).toEqual(expected);
  });

  it('lets an alias previousId match a stored user id as well', () => {
    const [, previous] = extractIdentityClaims(event({ type: 'alias', userId: 'u2', previousId: 'u1' }));
    expect(previous).toEqual({ kind: 'anonymous_id', value: 'u1', alsoMatches: ['user_id'] });
  });

  it('adds configured junk values to the built-in list, case-insensitively', () => {
    const claims = extractIdentityClaims(event({ userId: 'TEST-USER', anonymousId: 'a1' }), ['test-user']);
    expect(claims.map((c) => c.value)).toEqual(['a1']);
  });
});

describe('planResolution', () => {
  it.each<[string, EventIdentityFields, World, ReturnType<typeof planResolution>]>([
    [
      'creates a profile for a first-seen anonymous visitor',
      event({ anonymousId: 'a1' }),
      {},
      { action: 'create', newIdentities: keys('anonymous_id:a1'), skipped: [] },
    ],
    [
      'anonymous → identified: attaches the userId to the anonymous profile',
      event({ type: 'identify', userId: 'u1', anonymousId: 'a1', traits: { email: 'ada@example.com' } }),
      { A: [1, ['anonymous_id:a1']] },
      { action: 'attach', profileId: 'A', newIdentities: keys('user_id:u1', 'email:ada@example.com'), skipped: [] },
    ],
    [
      'two devices of one user: the second device merges into the profile holding the userId, even if younger',
      event({ userId: 'u1', anonymousId: 'a2' }),
      { P: [5, ['user_id:u1', 'anonymous_id:a1']], D2: [2, ['anonymous_id:a2']] },
      { action: 'merge', survivorId: 'P', mergedIds: ['D2'], newIdentities: [], skipped: [] },
    ],
    [
      'without a userId the oldest profile survives',
      event({ anonymousId: 'a1', traits: { email: 'ada@example.com' } }),
      { New: [9, ['anonymous_id:a1']], Old: [3, ['email:ada@example.com']] },
      { action: 'merge', survivorId: 'Old', mergedIds: ['New'], newIdentities: [], skipped: [] },
    ],
    [
      'an email shared by two userIds does not merge: the new user gets its own profile, the email stays put',
      event({ type: 'identify', userId: 'u2', traits: { email: 'shared@example.com' } }),
      { U1: [1, ['user_id:u1', 'email:shared@example.com']] },
      { action: 'create', newIdentities: keys('user_id:u2'), skipped: keys('email:shared@example.com') },
    ],
    [
      'an email shared by two userIds does not merge when both profiles exist either',
      event({ userId: 'u2', anonymousId: 'a9', traits: { email: 'shared@example.com' } }),
      { U1: [1, ['user_id:u1', 'email:shared@example.com']], U2: [2, ['user_id:u2']] },
      { action: 'attach', profileId: 'U2', newIdentities: keys('anonymous_id:a9'), skipped: keys('email:shared@example.com') },
    ],
    [
      'without a userId, two identified profiles are not merged: the higher-priority match wins',
      event({ anonymousId: 'a2', traits: { email: 'ada@example.com' } }),
      { U1: [1, ['user_id:u1', 'email:ada@example.com']], U2: [2, ['user_id:u2', 'anonymous_id:a2']] },
      { action: 'attach', profileId: 'U1', newIdentities: [], skipped: keys('anonymous_id:a2') },
    ],
    [
      'junk values neither match nor become identities',
      event({ userId: 'u1', anonymousId: 'anonymous', traits: { email: 'null' } }),
      { Junk: [1, ['anonymous_id:anonymous']] },
      { action: 'create', newIdentities: keys('user_id:u1'), skipped: [] },
    ],
    [
      'alias merges the previous anonymous profile into the user’s profile',
      event({ type: 'alias', userId: 'u1', previousId: 'a1' }),
      { A: [1, ['anonymous_id:a1']], U: [4, ['user_id:u1']] },
      { action: 'merge', survivorId: 'U', mergedIds: ['A'], newIdentities: [], skipped: [] },
    ],
    [
      'alias with an unknown userId identifies the previous profile',
      event({ type: 'alias', userId: 'u1', previousId: 'a1' }),
      { A: [1, ['anonymous_id:a1']] },
      { action: 'attach', profileId: 'A', newIdentities: keys('user_id:u1'), skipped: [] },
    ],
    [
      'alias with nothing known creates one profile holding both ids',
      event({ type: 'alias', userId: 'u1', previousId: 'a1' }),
      {},
      { action: 'create', newIdentities: keys('user_id:u1', 'anonymous_id:a1'), skipped: [] },
    ],
    [
      'alias from another userId never merges two users',
      event({ type: 'alias', userId: 'u2', previousId: 'u1' }),
      { U1: [1, ['user_id:u1']], U2: [2, ['user_id:u2']] },
      { action: 'attach', profileId: 'U2', newIdentities: [], skipped: keys('anonymous_id:u1') },
    ],
    [
      'merges three profiles linked by one event into the one holding the userId',
      event({ userId: 'u1', anonymousId: 'a1', traits: { phone: '555 0100' } }),
      { A: [1, ['anonymous_id:a1']], Ph: [2, ['phone:5550100']], U: [3, ['user_id:u1']] },
      { action: 'merge', survivorId: 'U', mergedIds: ['A', 'Ph'], newIdentities: [], skipped: [] },
    ],
    [
      'a replayed event finds everything on one profile: nothing new',
      event({ userId: 'u1', anonymousId: 'a1' }),
      { P: [1, ['user_id:u1', 'anonymous_id:a1']] },
      { action: 'attach', profileId: 'P', newIdentities: [], skipped: [] },
    ],
  ])('%s', (_name, e, world, expected) => {
    const result = plan(e, world);
    if (result?.action === 'merge') result.mergedIds.sort();
    expect(result).toEqual(expected);
  });

  it('returns null when every identifier is junk', () => {
    expect(plan(event({ userId: '-1', anonymousId: '0' }), {})).toBeNull();
  });

  it('breaks a createdAt tie by id (uuidv7 order)', () => {
    const result = plan(event({ anonymousId: 'a1', traits: { email: 'x@y.z' } }), { b: [1, ['anonymous_id:a1']], a: [1, ['email:x@y.z']] });
    expect(result).toMatchObject({ action: 'merge', survivorId: 'a', mergedIds: ['b'] });
  });

  it('rejects a match naming a profile it was not given', () => {
    const claims = extractIdentityClaims(event({ anonymousId: 'a1' }));
    expect(() => planResolution(claims, [{ kind: 'anonymous_id', value: 'a1', profileId: 'ghost' }], [])).toThrow(
      /planResolution: matched profile ghost/,
    );
  });
});
