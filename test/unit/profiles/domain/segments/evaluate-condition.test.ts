import { DAY_MS, windowKey, type SegmentCondition } from '../../../../../subgraphs/profiles/domain/segments/condition';
import { evaluateSegment, isoInstant, type SegmentFacts } from '../../../../../subgraphs/profiles/domain/segments/evaluate-condition';

const NOW = new Date('2026-06-15T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * DAY_MS);

const FACTS: SegmentFacts = {
  traits: {
    plan: 'pro',
    seats: 12,
    vip: true,
    nickname: null,
    tags: ['beta', 'emea'],
    address: { city: 'Paris', zip: '75001' },
    signedUpAt: '2025-03-01T09:30:00+01:00',
    ratio: '0.5',
  },
  computedTraits: {
    orderCount: 4,
    totalRevenue: 199.5,
    lastPurchaseAt: '2026-06-01T10:00:00.000Z',
  },
  identities: { email: ['ada@example.com', 'ada@work.example'], user_id: ['u-42'] },
  eventCounts: {
    [windowKey({ event: 'Order Completed', days: 30 })]: 3,
    [windowKey({ event: 'Order Completed', days: 7 })]: 0,
  },
  lastSeen: daysAgo(10),
};

const leaf = (path: string, op: string, value?: unknown) => ({ path, op, ...(value === undefined ? {} : { value }) }) as SegmentCondition;

describe('evaluateSegment', () => {
  describe('comparisons', () => {
    it.each<[string, SegmentCondition, boolean]>([
      ['eq matches a string trait', leaf('traits.plan', 'eq', 'pro'), true],
      ['eq is case-sensitive', leaf('traits.plan', 'eq', 'Pro'), false],
      ['eq compares like with like (no number/string coercion)', leaf('traits.seats', 'eq', '12'), false],
      ['eq matches a boolean', leaf('traits.vip', 'eq', true), true],
      ['eq never matches an array trait', leaf('traits.tags', 'eq', 'beta'), false],
      ['eq on a missing path is false', leaf('traits.missing', 'eq', 'x'), false],
      ['neq on a different value is true', leaf('traits.plan', 'neq', 'free'), true],
      ['neq on the same value is false', leaf('traits.plan', 'neq', 'pro'), false],
      ['neq on a missing path is true', leaf('traits.missing', 'neq', 'x'), true],
      ['lt on numbers', leaf('traits.seats', 'lt', 20), true],
      ['lte on equal numbers', leaf('traits.seats', 'lte', 12), true],
      ['gt on numbers', leaf('traits.seats', 'gt', 12), false],
      ['gte on equal numbers', leaf('computedTraits.orderCount', 'gte', 4), true],
      ['gt never orders a string against a number', leaf('traits.ratio', 'gt', 0.1), false],
      ['gt orders plain strings lexically', leaf('traits.plan', 'gt', 'basic'), true],
      ['lt compares ISO timestamps as instants across zones', leaf('traits.signedUpAt', 'lt', '2025-03-01T09:00:00Z'), true],
      ['gte compares a timestamp with a date', leaf('computedTraits.lastPurchaseAt', 'gte', '2026-06-01'), true],
      ['lt on a missing path is false', leaf('computedTraits.nothing', 'lt', 5), false],
      ['in matches a listed value', leaf('traits.plan', 'in', ['free', 'pro']), true],
      ['in misses an unlisted value', leaf('traits.plan', 'in', ['free']), false],
      ['contains finds a substring', leaf('traits.plan', 'contains', 'r'), true],
      ['contains finds an array element', leaf('traits.tags', 'contains', 'emea'), true],
      ['contains misses an absent array element', leaf('traits.tags', 'contains', 'apac'), false],
      ['contains on a number is false', leaf('traits.seats', 'contains', '1'), false],
      ['exists on a present trait', leaf('traits.plan', 'exists'), true],
      ['exists on a null trait is false', leaf('traits.nickname', 'exists'), false],
      ['exists on a missing trait is false', leaf('traits.nope', 'exists'), false],
      ['a dotted path reaches nested objects', leaf('traits.address.city', 'eq', 'Paris'), true],
      ['a dotted path through a scalar is missing', leaf('traits.plan.length', 'exists'), false],
      ['a dotted path does not index arrays', leaf('traits.tags.0', 'exists'), false],
      ['prototype keys are never found', leaf('traits.constructor', 'exists'), false],
      ['identity exists when the profile has one of that kind', leaf('identity.email', 'exists'), true],
      ['identity exists is false without one', leaf('identity.phone', 'exists'), false],
      ['identity eq matches any of the values', leaf('identity.email', 'eq', 'ada@work.example'), true],
      ['identity contains matches any of the values', leaf('identity.email', 'contains', '@work.'), true],
      ['identity in matches any of the values', leaf('identity.user_id', 'in', ['u-1', 'u-42']), true],
      ['identity neq is true only when no value equals', leaf('identity.email', 'neq', 'ada@example.com'), false],
      ['identity neq with no identity of the kind is true', leaf('identity.phone', 'neq', '+33'), true],
    ])('%s', (_name, tree, expected) => {
      expect(evaluateSegment(tree, FACTS, NOW)).toBe(expected);
    });
  });

  describe('groups', () => {
    const yes = leaf('traits.plan', 'eq', 'pro');
    const no = leaf('traits.plan', 'eq', 'free');
    it.each<[string, SegmentCondition, boolean]>([
      ['and of trues', { and: [yes, yes] }, true],
      ['and with one false', { and: [yes, no] }, false],
      ['or with one true', { or: [no, yes] }, true],
      ['or of falses', { or: [no, no] }, false],
      ['not of false', { not: no }, true],
      ['not of true', { not: yes }, false],
      ['not exists expresses absence', { not: leaf('identity.phone', 'exists') }, true],
      ['nested groups', { and: [yes, { or: [no, { not: no }] }] }, true],
    ])('%s', (_name, tree, expected) => {
      expect(evaluateSegment(tree, FACTS, NOW)).toBe(expected);
    });
  });

  describe('time windows', () => {
    it.each<[string, SegmentCondition, Partial<SegmentFacts>, boolean]>([
      ['performed at least N in the window', { performed: { event: 'Order Completed', atLeast: 3, withinDays: 30 } }, {}, true],
      ['performed fewer than N times', { performed: { event: 'Order Completed', atLeast: 4, withinDays: 30 } }, {}, false],
      ['performed nothing in a short window', { performed: { event: 'Order Completed', atLeast: 1, withinDays: 7 } }, {}, false],
      ['not seen for fewer days than required', { notSeenForDays: 14 }, {}, false],
      ['not seen for exactly the days required', { notSeenForDays: 10 }, {}, true],
      ['not seen for more days than required', { notSeenForDays: 7 }, {}, true],
      ['never seen counts as not seen', { notSeenForDays: 3650 }, { lastSeen: null }, true],
      ['seen just now', { notSeenForDays: 1 }, { lastSeen: NOW }, false],
      ['a last activity in the future is recent', { notSeenForDays: 1 }, { lastSeen: new Date(NOW.getTime() + DAY_MS) }, false],
    ])('%s', (_name, tree, overrides, expected) => {
      expect(evaluateSegment(tree, { ...FACTS, ...overrides }, NOW)).toBe(expected);
    });

    it('flips "not seen for D days" as now advances, without new facts', () => {
      const tree: SegmentCondition = { notSeenForDays: 30 };
      const facts = { ...FACTS, lastSeen: NOW };
      expect(evaluateSegment(tree, facts, new Date(NOW.getTime() + 30 * DAY_MS - 1))).toBe(false);
      expect(evaluateSegment(tree, facts, new Date(NOW.getTime() + 30 * DAY_MS))).toBe(true);
    });

    it('throws a RangeError naming the window when its count was not supplied', () => {
      const tree: SegmentCondition = { performed: { event: 'Signed Up', atLeast: 1, withinDays: 90 } };
      expect(() => evaluateSegment(tree, FACTS, NOW)).toThrow(new RangeError('evaluateSegment: no event count for window (event="Signed Up", days=90)'));
    });
  });
});

describe('isoInstant', () => {
  it.each<[string, number | null]>([
    ['2026-06-01', Date.UTC(2026, 5, 1)],
    ['2026-06-01T10:00:00Z', Date.UTC(2026, 5, 1, 10)],
    ['2026-06-01T10:00:00.250Z', Date.UTC(2026, 5, 1, 10, 0, 0, 250)],
    ['2026-06-01T10:00', Date.UTC(2026, 5, 1, 10)],
    ['2026-06-01 10:00:00', Date.UTC(2026, 5, 1, 10)],
    ['2026-06-01T12:00:00+02:00', Date.UTC(2026, 5, 1, 10)],
    ['2026-06-01T12:00:00+0200', Date.UTC(2026, 5, 1, 10)],
    ['2026-13-01', null],
    ['June 1st', null],
    ['12', null],
  ])('reads %s', (text, expected) => {
    expect(isoInstant(text)).toBe(expected);
  });
});
