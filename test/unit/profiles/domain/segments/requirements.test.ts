import { DAY_MS, type SegmentCondition } from '../../../../../subgraphs/profiles/domain/segments/condition';
import {
  isTimeBased,
  notSeenWindows,
  requiredEventWindows,
  timeEdgeRanges,
  usesIdentities,
} from '../../../../../subgraphs/profiles/domain/segments/requirements';

const plan: SegmentCondition = { path: 'traits.plan', op: 'eq', value: 'pro' };
const orders30: SegmentCondition = { performed: { event: 'Order Completed', atLeast: 2, withinDays: 30 } };
const orders7: SegmentCondition = { performed: { event: 'Order Completed', atLeast: 1, withinDays: 7 } };
const logins30: SegmentCondition = { performed: { event: 'Logged In', atLeast: 5, withinDays: 30 } };

describe('isTimeBased', () => {
  it.each<[string, SegmentCondition, boolean]>([
    ['a plain comparison', plan, false],
    ['a timestamp comparison (absolute, so not time-based)', { path: 'computedTraits.lastSeen', op: 'lt', value: '2026-01-01' }, false],
    ['a performed leaf', orders30, true],
    ['an inactivity leaf', { notSeenForDays: 3 }, true],
    ['a time leaf deep under not/or', { and: [plan, { or: [plan, { not: orders7 }] }] }, true],
    ['groups of comparisons only', { and: [plan, { not: plan }] }, false],
  ])('%s → %s', (_name, tree, expected) => {
    expect(isTimeBased(tree)).toBe(expected);
  });
});

describe('requiredEventWindows', () => {
  it.each<[string, SegmentCondition, { event: string; days: number }[]]>([
    ['none for comparisons', { and: [plan, { notSeenForDays: 3 }] }, []],
    ['one per distinct (event, days), in order of appearance', { or: [orders30, { not: orders30 }, logins30, orders7] }, [
      { event: 'Order Completed', days: 30 },
      { event: 'Logged In', days: 30 },
      { event: 'Order Completed', days: 7 },
    ]],
    ['the same window with different thresholds once', { and: [orders30, { performed: { event: 'Order Completed', atLeast: 9, withinDays: 30 } }] }, [
      { event: 'Order Completed', days: 30 },
    ]],
  ])('%s', (_name, tree, expected) => {
    expect(requiredEventWindows(tree)).toEqual(expected);
  });
});

describe('notSeenWindows', () => {
  it('lists distinct inactivity lengths, ascending', () => {
    expect(notSeenWindows({ or: [{ notSeenForDays: 30 }, { and: [plan, { notSeenForDays: 7 }] }, { notSeenForDays: 30 }] })).toEqual([7, 30]);
    expect(notSeenWindows(orders30)).toEqual([]);
  });
});

describe('timeEdgeRanges', () => {
  const checked = new Date('2026-06-01T00:00:00Z');
  const now = new Date('2026-06-01T00:05:00Z');
  const shift = (d: Date, days: number) => new Date(d.getTime() - days * DAY_MS);

  it('spans the timestamps that crossed each window edge between the two checks', () => {
    expect(timeEdgeRanges({ or: [orders30, { notSeenForDays: 7 }] }, checked, now)).toEqual([
      { event: 'Order Completed', from: shift(checked, 30), to: shift(now, 30) },
      { event: null, from: shift(checked, 7), to: shift(now, 7) },
    ]);
  });

  it.each([
    ['now equals the last check', now, now],
    ['now precedes the last check', now, checked],
  ])('is empty when %s', (_name, checkedThrough, at) => {
    expect(timeEdgeRanges(orders30, checkedThrough, at)).toEqual([]);
  });

  it('is empty for a tree without time leaves', () => {
    expect(timeEdgeRanges(plan, checked, now)).toEqual([]);
  });
});

describe('usesIdentities', () => {
  it.each<[string, SegmentCondition, boolean]>([
    ['a trait comparison', plan, false],
    ['an identity comparison under not', { and: [plan, { not: { path: 'identity.email', op: 'exists' } }] }, true],
    ['a trait whose name starts like identity', { path: 'traits.identity', op: 'exists' }, false],
    ['time leaves only', { or: [orders30, { notSeenForDays: 2 }] }, false],
  ])('%s → %s', (_name, tree, expected) => {
    expect(usesIdentities(tree)).toBe(expected);
  });
});
