import { FIELD_LIMITS } from '../../../common/limits';

import {
  COMPARISON_OPS,
  IDENTITY_KINDS,
  PATH_ROOTS,
  SEGMENT_CONDITION_LIMITS,
  windowKey,
  type ComparisonCondition,
  type ComparisonOp,
  type ConditionScalar,
  type SegmentCondition,
  type SegmentConditionLimits,
} from './condition';

/**
 * A condition tree that cannot be stored. `path` locates the offending node or field in the
 * input, e.g. `condition.and[1].op`; the message starts with it.
 */
export class SegmentConditionError extends RangeError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`${path}: ${reason}`);
    this.name = 'SegmentConditionError';
  }
}

// caps of a `performed` leaf: FIELD_LIMITS.segmentEventNameLength and .segmentPerformedAtLeast
const MAX_EVENT_NAME = FIELD_LIMITS.segmentEventNameLength;
const MAX_AT_LEAST = FIELD_LIMITS.segmentPerformedAtLeast;

const GROUP_KEYS = ['and', 'or', 'not'] as const;
const NODE_KINDS = [...GROUP_KEYS, 'path', 'performed', 'notSeenForDays'] as const;

/**
 * Checks an untrusted condition tree (parsed JSON) and returns a clean copy holding only the
 * known fields. Throws `SegmentConditionError` at the first problem, naming where it is
 * (`root` is the name of the input, e.g. `condition`).
 */
export function parseSegmentCondition(
  input: unknown,
  root = 'condition',
  limits: SegmentConditionLimits = SEGMENT_CONDITION_LIMITS,
): SegmentCondition {
  const state = { nodes: 0, windows: new Set<string>() };
  return parseNode(input, root, 1, state, limits);
}

interface ParseState {
  nodes: number;
  windows: Set<string>;
}

function parseNode(input: unknown, at: string, depth: number, state: ParseState, limits: SegmentConditionLimits): SegmentCondition {
  if (depth > limits.maxDepth) fail(at, `the tree is nested more than ${limits.maxDepth} levels deep`);
  state.nodes += 1;
  if (state.nodes > limits.maxNodes) fail(at, `the tree has more than ${limits.maxNodes} nodes`);
  const node = asObject(input, at, `a condition object with one of ${NODE_KINDS.join(', ')}`);
  const kinds = NODE_KINDS.filter((k) => Object.hasOwn(node, k));
  if (kinds.length === 0) {
    const keys = Object.keys(node);
    fail(at, keys.length ? `unknown condition "${keys[0]}" (expected one of ${NODE_KINDS.join(', ')})` : `empty condition (expected one of ${NODE_KINDS.join(', ')})`);
  }
  const kind = kinds[0];
  if (kind === 'path') return parseComparison(node, at, limits);
  if (kinds.length > 1) fail(at, `a condition has exactly one of ${NODE_KINDS.join(', ')} (found ${kinds.join(' and ')})`);
  switch (kind) {
    case 'and':
    case 'or': {
      onlyKeys(node, [kind], at);
      const children = node[kind];
      if (!Array.isArray(children) || children.length === 0) fail(`${at}.${kind}`, 'must be a non-empty list of conditions');
      const parsed = children.map((child, i) => parseNode(child, `${at}.${kind}[${i}]`, depth + 1, state, limits));
      return kind === 'and' ? { and: parsed } : { or: parsed };
    }
    case 'not':
      onlyKeys(node, ['not'], at);
      return { not: parseNode(node.not, `${at}.not`, depth + 1, state, limits) };
    case 'performed': {
      onlyKeys(node, ['performed'], at);
      const p = asObject(node.performed, `${at}.performed`, 'an object { event, atLeast, withinDays }');
      onlyKeys(p, ['event', 'atLeast', 'withinDays'], `${at}.performed`);
      const event = p.event;
      if (typeof event !== 'string' || event.length === 0 || event.length > MAX_EVENT_NAME) {
        fail(`${at}.performed.event`, `must be an event name of 1 to ${MAX_EVENT_NAME} characters`);
      }
      const atLeast = integerIn(p.atLeast, 1, MAX_AT_LEAST, `${at}.performed.atLeast`);
      const withinDays = integerIn(p.withinDays, 1, limits.maxDays, `${at}.performed.withinDays`);
      state.windows.add(windowKey({ event, days: withinDays }));
      if (state.windows.size > limits.maxEventWindows) {
        fail(`${at}.performed`, `the tree counts more than ${limits.maxEventWindows} distinct event windows`);
      }
      return { performed: { event, atLeast, withinDays } };
    }
    case 'notSeenForDays':
      onlyKeys(node, ['notSeenForDays'], at);
      return { notSeenForDays: integerIn(node.notSeenForDays, 1, limits.maxDays, `${at}.notSeenForDays`) };
    default:
      return assertNever(kind);
  }
}

function parseComparison(node: Record<string, unknown>, at: string, limits: SegmentConditionLimits): ComparisonCondition {
  onlyKeys(node, ['path', 'op', 'value'], at);
  const path = parsePath(node.path, `${at}.path`, limits);
  const op = node.op;
  if (typeof op !== 'string' || !(COMPARISON_OPS as readonly string[]).includes(op)) {
    fail(`${at}.op`, `unknown operator ${JSON.stringify(op ?? null)} (expected one of ${COMPARISON_OPS.join(', ')})`);
  }
  const value = node.value;
  const valueAt = `${at}.value`;
  switch (op as ComparisonOp) {
    case 'exists':
      if (value !== undefined) fail(valueAt, 'exists takes no value (wrap it in "not" for "does not exist")');
      return { path, op: 'exists' };
    case 'in': {
      if (!Array.isArray(value) || value.length === 0 || value.length > limits.maxListValues) {
        fail(valueAt, `in takes a list of 1 to ${limits.maxListValues} strings, numbers or booleans`);
      }
      return { path, op: 'in', value: value.map((v, i) => scalar(v, `${valueAt}[${i}]`, limits)) };
    }
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      if (typeof value !== 'number' && typeof value !== 'string') fail(valueAt, `${op} takes a number or a string (ISO-8601 timestamps compare as instants)`);
      return { path, op: op as ComparisonOp, value: scalar(value, valueAt, limits) };
    case 'eq':
    case 'neq':
    case 'contains':
      return { path, op: op as ComparisonOp, value: scalar(value, valueAt, limits) };
    default:
      return assertNever(op as never);
  }
}

function parsePath(input: unknown, at: string, limits: SegmentConditionLimits): string {
  if (typeof input !== 'string' || input.length === 0 || input.length > limits.maxStringLength) {
    fail(at, `must be a path of 1 to ${limits.maxStringLength} characters, e.g. "traits.plan"`);
  }
  const parts = input.split('.');
  const [root, ...rest] = parts;
  if (!(PATH_ROOTS as readonly string[]).includes(root)) {
    fail(at, `must start with ${PATH_ROOTS.map((r) => `"${r}."`).join(', ')} (got ${JSON.stringify(input)})`);
  }
  if (rest.length === 0 || parts.some((p) => p.length === 0)) fail(at, `has an empty segment (got ${JSON.stringify(input)})`);
  if (root === 'identity' && (rest.length !== 1 || !(IDENTITY_KINDS as readonly string[]).includes(rest[0]))) {
    fail(at, `identity paths are identity.<kind> with kind one of ${IDENTITY_KINDS.join(', ')} (got ${JSON.stringify(input)})`);
  }
  return input;
}

function scalar(value: unknown, at: string, limits: SegmentConditionLimits): ConditionScalar {
  if (typeof value === 'string') {
    if (value.length > limits.maxStringLength) fail(at, `is longer than ${limits.maxStringLength} characters`);
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(at, 'must be a finite number');
    return value;
  }
  if (typeof value === 'boolean') return value;
  return fail(at, `must be a string, a number or a boolean (got ${value === undefined ? 'nothing' : JSON.stringify(value)})`);
}

function integerIn(value: unknown, min: number, max: number, at: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(at, `must be an integer from ${min} to ${max} (got ${value === undefined ? 'nothing' : JSON.stringify(value)})`);
  }
  return value;
}

function asObject(value: unknown, at: string, expected: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(at, `must be ${expected}`);
  return value as Record<string, unknown>;
}

function onlyKeys(node: Record<string, unknown>, allowed: readonly string[], at: string): void {
  const extra = Object.keys(node).find((k) => !allowed.includes(k));
  if (extra !== undefined) fail(`${at}.${extra}`, `unknown field (allowed here: ${allowed.join(', ')})`);
}

function fail(path: string, reason: string): never {
  throw new SegmentConditionError(path, reason);
}

function assertNever(value: never): never {
  throw new RangeError(`parseSegmentCondition: unexpected condition kind ${JSON.stringify(value)}`);
}
