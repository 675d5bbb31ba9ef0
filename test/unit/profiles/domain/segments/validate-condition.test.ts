import { SEGMENT_CONDITION_LIMITS, type SegmentCondition } from '../../../../../subgraphs/profiles/domain/segments/condition';
import { parseSegmentCondition, SegmentConditionError } from '../../../../../subgraphs/profiles/domain/segments/validate-condition';

const plan = { path: 'traits.plan', op: 'eq', value: 'pro' };

/** A chain of `not`s `depth` levels deep, ending in a leaf. */
function nested(depth: number): unknown {
  let node: unknown = plan;
  for (let i = 1; i < depth; i++) node = { not: node };
  return node;
}

describe('parseSegmentCondition', () => {
  it.each<[string, unknown]>([
    ['an equality on a trait', plan],
    ['a nested computed trait path', { path: 'computedTraits.counts.30d.Order Completed', op: 'gte', value: 3 }],
    ['an identity existence check', { path: 'identity.email', op: 'exists' }],
    ['an in list', { path: 'traits.country', op: 'in', value: ['FR', 'DE', 1, true] }],
    ['a contains on a string', { path: 'identity.email', op: 'contains', value: '@example.com' }],
    ['a timestamp comparison', { path: 'computedTraits.lastPurchaseAt', op: 'lt', value: '2026-01-01T00:00:00Z' }],
    ['a performed window', { performed: { event: 'Order Completed', atLeast: 2, withinDays: 30 } }],
    ['an inactivity leaf', { notSeenForDays: 14 }],
    [
      'a tree of every group',
      { and: [plan, { or: [{ notSeenForDays: 7 }, { not: { path: 'traits.vip', op: 'eq', value: true } }] }] },
    ],
    ['a tree exactly at the depth limit', nested(SEGMENT_CONDITION_LIMITS.maxDepth)],
  ])('accepts %s and returns an equal tree', (_name, input) => {
    expect(parseSegmentCondition(input)).toEqual(input);
  });

  it('returns a copy that shares nothing with the input', () => {
    const input = { and: [{ path: 'traits.x', op: 'in', value: ['a'] }] };
    const parsed = parseSegmentCondition(input) as { and: { value: string[] }[] };
    parsed.and[0].value.push('b');
    expect(input.and[0].value).toEqual(['a']);
  });

  it.each<[string, unknown, string, RegExp]>([
    ['a non-object', 'traits.plan = pro', 'condition', /must be a condition object/],
    ['an array root', [plan], 'condition', /must be a condition object/],
    ['an empty object', {}, 'condition', /empty condition/],
    ['an unknown node kind', { xor: [plan] }, 'condition', /unknown condition "xor"/],
    ['two kinds in one node', { and: [plan], or: [plan] }, 'condition', /exactly one of/],
    ['an empty and', { and: [] }, 'condition.and', /non-empty list/],
    ['an or that is not a list', { or: plan }, 'condition.or', /non-empty list/],
    ['an unknown operator, deep', { and: [plan, { or: [{ path: 'traits.a', op: 'equals', value: 1 }] }] }, 'condition.and[1].or[0].op', /unknown operator "equals"/],
    ['a missing operator', { path: 'traits.a', value: 1 }, 'condition.op', /unknown operator null/],
    ['an unknown path root', { path: 'profile.plan', op: 'eq', value: 'x' }, 'condition.path', /must start with "traits\."/],
    ['a bare root', { path: 'traits', op: 'exists' }, 'condition.path', /empty segment/],
    ['an empty path segment', { path: 'traits..plan', op: 'exists' }, 'condition.path', /empty segment/],
    ['an unknown identity kind', { path: 'identity.twitter', op: 'exists' }, 'condition.path', /identity\.<kind>/],
    ['a nested identity path', { path: 'identity.email.domain', op: 'exists' }, 'condition.path', /identity\.<kind>/],
    ['exists with a value', { path: 'traits.a', op: 'exists', value: true }, 'condition.value', /exists takes no value/],
    ['eq without a value', { path: 'traits.a', op: 'eq' }, 'condition.value', /got nothing/],
    ['eq with an object', { path: 'traits.a', op: 'eq', value: { b: 1 } }, 'condition.value', /string, a number or a boolean/],
    ['eq with null', { path: 'traits.a', op: 'eq', value: null }, 'condition.value', /string, a number or a boolean/],
    ['gt with a boolean', { path: 'traits.a', op: 'gt', value: true }, 'condition.value', /number or a string/],
    ['in with an empty list', { path: 'traits.a', op: 'in', value: [] }, 'condition.value', /list of 1 to/],
    ['in with a nested list', { path: 'traits.a', op: 'in', value: ['x', ['y']] }, 'condition.value[1]', /string, a number/],
    ['a non-finite number', { path: 'traits.a', op: 'eq', value: Number.POSITIVE_INFINITY }, 'condition.value', /finite/],
    ['an extra field on a comparison', { path: 'traits.a', op: 'exists', negate: true }, 'condition.negate', /unknown field/],
    ['an extra field on a group', { not: plan, label: 'x' }, 'condition.label', /unknown field/],
    ['performed without an event', { performed: { atLeast: 1, withinDays: 3 } }, 'condition.performed.event', /event name/],
    ['performed with atLeast 0', { performed: { event: 'x', atLeast: 0, withinDays: 3 } }, 'condition.performed.atLeast', /integer from 1/],
    ['performed with fractional days', { performed: { event: 'x', atLeast: 1, withinDays: 1.5 } }, 'condition.performed.withinDays', /integer from 1 to 3650/],
    ['performed with too long a window', { performed: { event: 'x', atLeast: 1, withinDays: 3651 } }, 'condition.performed.withinDays', /to 3650/],
    ['an unknown performed field', { performed: { event: 'x', atLeast: 1, withinDays: 3, type: 'track' } }, 'condition.performed.type', /unknown field/],
    ['a negative inactivity', { notSeenForDays: -1 }, 'condition.notSeenForDays', /integer from 1/],
    ['a tree one level too deep', nested(SEGMENT_CONDITION_LIMITS.maxDepth + 1), `condition${'.not'.repeat(SEGMENT_CONDITION_LIMITS.maxDepth)}`, /more than 8 levels/],
  ])('rejects %s, naming %s', (_name, input, path, message) => {
    let caught: unknown;
    try {
      parseSegmentCondition(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(SegmentConditionError);
    expect(caught).toBeInstanceOf(RangeError);
    expect((caught as SegmentConditionError).path).toBe(path);
    expect((caught as Error).message).toMatch(message);
    expect((caught as Error).message.startsWith(`${path}: `)).toBe(true);
  });

  it('rejects a tree with more nodes than allowed', () => {
    const input = { or: Array.from({ length: SEGMENT_CONDITION_LIMITS.maxNodes }, () => plan) };
    expect(() => parseSegmentCondition(input)).toThrow(/condition\.or\[199\]: the tree has more than 200 nodes/);
  });

  it('rejects a tree that counts too many distinct event windows, but not repeats of one', () => {
    const windows = (n: number) => ({ or: Array.from({ length: n }, (_, i) => ({ performed: { event: `e${i}`, atLeast: 1, withinDays: 7 } })) });
    expect(() => parseSegmentCondition(windows(SEGMENT_CONDITION_LIMITS.maxEventWindows))).not.toThrow();
    expect(() => parseSegmentCondition(windows(SEGMENT_CONDITION_LIMITS.maxEventWindows + 1))).toThrow(/distinct event windows/);
    const repeats = { or: Array.from({ length: 50 }, () => ({ performed: { event: 'e', atLeast: 1, withinDays: 7 } })) };
    expect(() => parseSegmentCondition(repeats)).not.toThrow();
  });

  it('rejects over-long strings', () => {
    const long = 'x'.repeat(SEGMENT_CONDITION_LIMITS.maxStringLength + 1);
    expect(() => parseSegmentCondition({ path: 'traits.a', op: 'eq', value: long })).toThrow(/condition\.value: is longer than 512/);
    expect(() => parseSegmentCondition({ path: `traits.${long}`, op: 'exists' })).toThrow(/condition\.path/);
  });

  it('names the input it was given', () => {
    expect(() => parseSegmentCondition({ and: [] }, 'input.condition')).toThrow(/^input\.condition\.and: /);
  });

  it('accepts custom limits', () => {
    const tight = { ...SEGMENT_CONDITION_LIMITS, maxDepth: 2 };
    expect(() => parseSegmentCondition({ not: { not: plan } }, 'condition', tight)).toThrow(/more than 2 levels/);
    const ok: SegmentCondition = parseSegmentCondition({ not: plan }, 'condition', tight);
    expect(ok).toEqual({ not: plan });
  });
});
