import { FIELD_LIMITS } from '../../../common/limits';

/**
 * The condition tree of a segment, as stored (JSON) and as accepted through GraphQL. A tree is
 * built from groups (`and`, `or`, `not`) and three kinds of leaf:
 *
 * - a comparison over a path: `{ "path": "traits.plan", "op": "eq", "value": "pro" }`;
 * - an event window: `{ "performed": { "event": "Order Completed", "atLeast": 2, "withinDays": 30 } }`;
 * - inactivity: `{ "notSeenForDays": 14 }`.
 *
 * Paths start with `traits.`, `computedTraits.` (dotted into nested objects) or `identity.<kind>`
 * (`identity.email`, `identity.user_id`, …: every value of that kind the profile is known by).
 */
export type SegmentCondition = AndCondition | OrCondition | NotCondition | ComparisonCondition | PerformedCondition | NotSeenCondition;

/** True when every child is true. At least one child. */
export interface AndCondition {
  and: SegmentCondition[];
}

/** True when any child is true. At least one child. */
export interface OrCondition {
  or: SegmentCondition[];
}

/** True when the child is false. */
export interface NotCondition {
  not: SegmentCondition;
}

/** JSON scalars a comparison may compare against. */
export type ConditionScalar = string | number | boolean;

/** Comparison operators, as written in a condition. */
export const COMPARISON_OPS = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'contains', 'exists'] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

/**
 * A comparison of the value at `path` with `value`. `exists` takes no value, `in` takes a list,
 * every other operator a scalar (`lt`, `lte`, `gt`, `gte`: a number or a string).
 */
export interface ComparisonCondition {
  path: string;
  op: ComparisonOp;
  value?: ConditionScalar | ConditionScalar[];
}

/** The profile performed `event` (a `track` name, or a page/screen name) at least `atLeast` times in the last `withinDays` days. */
export interface PerformedCondition {
  performed: {
    event: string;
    /** Minimum count, an integer ≥ 1. */
    atLeast: number;
    /** Window length in days (integer ≥ 1), ending at the evaluation time. */
    withinDays: number;
  };
}

/**
 * The profile has not been seen (no event) for at least `notSeenForDays` whole days. A profile with
 * no event at all counts from the moment it was created (the caller passes that as `lastSeen`).
 */
export interface NotSeenCondition {
  notSeenForDays: number;
}

/** Roots a comparison path may start with. */
export const PATH_ROOTS = ['traits', 'computedTraits', 'identity'] as const;
export type PathRoot = (typeof PATH_ROOTS)[number];

/** Identity kinds a path `identity.<kind>` may name (the stored identity types). */
export const IDENTITY_KINDS = ['user_id', 'email', 'anonymous_id', 'phone', 'external'] as const;

/**
 * Bounds on a condition tree, so evaluating it stays cheap and storing it stays small. Defaults:
 * depth 8 (the root is depth 1), 200 nodes, 20 distinct event windows, 1000 values in an `in`
 * list, 512 characters in a path or string value, windows up to 3650 days.
 */
export interface SegmentConditionLimits {
  maxDepth: number;
  maxNodes: number;
  maxEventWindows: number;
  maxListValues: number;
  maxStringLength: number;
  maxDays: number;
}
/** The defaults, from the one table of caps (`FIELD_LIMITS` in common/limits.ts). */
export const SEGMENT_CONDITION_LIMITS: Readonly<SegmentConditionLimits> = Object.freeze({
  maxDepth: FIELD_LIMITS.segmentConditionDepth,
  maxNodes: FIELD_LIMITS.segmentConditionNodes,
  maxEventWindows: FIELD_LIMITS.segmentConditionEventWindows,
  maxListValues: FIELD_LIMITS.segmentConditionListValues,
  maxStringLength: FIELD_LIMITS.segmentConditionStringLength,
  maxDays: FIELD_LIMITS.segmentConditionDays,
});

/** An event name and a window length in days, as a tree's `performed` leaves need them counted. */
export interface EventWindow {
  event: string;
  days: number;
}

/** Milliseconds in a day; windows are whole days of 24 h (no calendar or time-zone arithmetic). */
export const DAY_MS = 86_400_000;

/** The key of an event window's count in `SegmentFacts.eventCounts`. */
export function windowKey(window: EventWindow): string {
  return `${window.days}d\u0000${window.event}`;
}
