import { DAY_MS, windowKey, type ComparisonCondition, type ConditionScalar, type SegmentCondition } from './condition';

/**
 * What a condition is evaluated against: one profile's state at the time of evaluation. Built by
 * the caller; nothing here reads a database or a clock.
 */
export interface SegmentFacts {
  traits: Readonly<Record<string, unknown>>;
  computedTraits: Readonly<Record<string, unknown>>;
  /** Identity values by kind (`email` → [...]), as stored (normalised). */
  identities: Readonly<Record<string, readonly string[]>>;
  /**
   * Event counts for every window the tree needs (see `requiredEventWindows`), keyed by
   * `windowKey`: events named `event` with a timestamp at or after `now - days`.
   */
  eventCounts: Readonly<Record<string, number>>;
  /** Time of the profile's latest event, or of its creation when it has none; null when unknown. */
  lastSeen: Date | null;
}

/**
 * Whether a profile (its `facts`) matches a segment's condition at time `now`.
 *
 * Comparison semantics:
 * - a path that is missing (or holds `null`) makes every operator false except `neq` (the
 *   negation of `eq`) and `exists` (false);
 * - values compare like with like: numbers with numbers, strings with strings, booleans only by
 *   `eq`/`neq`/`in`; two ISO-8601 timestamps compare as instants (a timestamp without a zone is UTC);
 * - `contains` is substring on strings and membership on arrays;
 * - an `identity.<kind>` path holds every value of that kind, and a comparison is true when any of
 *   them satisfies it (`neq`: when none equals the value).
 *
 * Throws RangeError when `facts.eventCounts` lacks a window the tree needs (a caller bug).
 */
export function evaluateSegment(tree: SegmentCondition, facts: SegmentFacts, now: Date): boolean {
  if ('and' in tree) return tree.and.every((c) => evaluateSegment(c, facts, now));
  if ('or' in tree) return tree.or.some((c) => evaluateSegment(c, facts, now));
  if ('not' in tree) return !evaluateSegment(tree.not, facts, now);
  if ('performed' in tree) {
    const { event, withinDays, atLeast } = tree.performed;
    const count = facts.eventCounts[windowKey({ event, days: withinDays })];
    if (typeof count !== 'number') {
      throw new RangeError(`evaluateSegment: no event count for window (event=${JSON.stringify(event)}, days=${withinDays})`);
    }
    return count >= atLeast;
  }
  if ('notSeenForDays' in tree) {
    if (facts.lastSeen === null) return true;
    return now.getTime() - facts.lastSeen.getTime() >= tree.notSeenForDays * DAY_MS;
  }
  return compare(tree, facts);
}

function compare(leaf: ComparisonCondition, facts: SegmentFacts): boolean {
  const [root, ...rest] = leaf.path.split('.');
  if (root === 'identity') {
    const values = facts.identities[rest[0]] ?? [];
    if (leaf.op === 'exists') return values.length > 0;
    if (leaf.op === 'neq') return !values.some((v) => compareValue(v, 'eq', leaf.value));
    return values.some((v) => compareValue(v, leaf.op, leaf.value));
  }
  const actual = resolvePath(root === 'traits' ? facts.traits : facts.computedTraits, rest);
  if (leaf.op === 'exists') return actual !== undefined && actual !== null;
  if (leaf.op === 'neq') return !compareValue(actual, 'eq', leaf.value);
  return compareValue(actual, leaf.op, leaf.value);
}

/** The value at a dotted path into nested objects; own properties only, so `__proto__` finds nothing. */
function resolvePath(source: Readonly<Record<string, unknown>>, parts: readonly string[]): unknown {
  let current: unknown = source;
  for (const part of parts) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    if (!Object.hasOwn(current, part)) return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function compareValue(actual: unknown, op: ComparisonCondition['op'], expected: ComparisonCondition['value']): boolean {
  if (actual === undefined || actual === null) return false;
  switch (op) {
    case 'eq':
      return isScalar(actual) && actual === expected;
    case 'in':
      return isScalar(actual) && Array.isArray(expected) && expected.includes(actual);
    case 'contains':
      if (typeof actual === 'string') return typeof expected === 'string' && actual.includes(expected);
      if (Array.isArray(actual)) return actual.some((item) => item === expected);
      return false;
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const order = ordering(actual, expected);
      if (order === null) return false;
      if (op === 'lt') return order < 0;
      if (op === 'lte') return order <= 0;
      if (op === 'gt') return order > 0;
      return order >= 0;
    }
    case 'neq':
    case 'exists':
      // handled by the caller, which knows whether the path is a list of identities
      throw new RangeError(`compareValue: ${op} is decided by the caller`);
    default:
      return assertNever(op);
  }
}

function isScalar(value: unknown): value is ConditionScalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Sign of `actual - expected`, or null when the two cannot be ordered. */
function ordering(actual: unknown, expected: unknown): number | null {
  if (typeof actual === 'number' && typeof expected === 'number') return Math.sign(actual - expected);
  if (typeof actual !== 'string' || typeof expected !== 'string') return null;
  const a = isoInstant(actual);
  const b = isoInstant(expected);
  if (a !== null && b !== null) return Math.sign(a - b);
  if (actual === expected) return 0;
  return actual < expected ? -1 : 1;
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** Milliseconds since the epoch of an ISO-8601 date or date-time (UTC when no zone is given), else null. */
export function isoInstant(value: string): number | null {
  const match = ISO_8601.exec(value);
  if (!match) return null;
  const hasTime = value.length > 10;
  const text = hasTime && !match[1] ? `${value.replace(' ', 'T')}Z` : value.replace(' ', 'T');
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

function assertNever(value: never): never {
  throw new RangeError(`evaluateSegment: unknown operator ${JSON.stringify(value)}`);
}
