import { DAY_MS, windowKey, type EventWindow, type SegmentCondition } from './condition';

/*
 * What a condition tree needs from the world: which facts to load before evaluating it, and
 * whether (and where) time alone can change its value.
 */

/**
 * True when the tree has a leaf whose value can change with time alone (`performed` within a
 * window, `notSeenForDays`). Such segments need the scheduled re-check; the others change only
 * when the profile does.
 */
export function isTimeBased(tree: SegmentCondition): boolean {
  if ('and' in tree) return tree.and.some(isTimeBased);
  if ('or' in tree) return tree.or.some(isTimeBased);
  if ('not' in tree) return isTimeBased(tree.not);
  return 'performed' in tree || 'notSeenForDays' in tree;
}

/**
 * The distinct (event, days) windows the tree's `performed` leaves need counted, in the order they
 * first appear. The caller counts exactly these and passes them in `SegmentFacts.eventCounts`.
 */
export function requiredEventWindows(tree: SegmentCondition): EventWindow[] {
  const found = new Map<string, EventWindow>();
  walkLeaves(tree, (leaf) => {
    if (!('performed' in leaf)) return;
    const window = { event: leaf.performed.event, days: leaf.performed.withinDays };
    if (!found.has(windowKey(window))) found.set(windowKey(window), window);
  });
  return [...found.values()];
}

/** The distinct `notSeenForDays` values of the tree, ascending; empty when it needs no `lastSeen`. */
export function notSeenWindows(tree: SegmentCondition): number[] {
  const days = new Set<number>();
  walkLeaves(tree, (leaf) => {
    if ('notSeenForDays' in leaf) days.add(leaf.notSeenForDays);
  });
  return [...days].sort((a, b) => a - b);
}

/**
 * A span of event timestamps (inclusive at both ends). `event` null means any event; such spans
 * also apply to a profile's creation time, which stands in for `lastSeen` before its first event.
 */
export interface TimeEdgeRange {
  event: string | null;
  from: Date;
  to: Date;
}

/**
 * Where time alone can have flipped a time leaf between two evaluations at `checkedThrough` and
 * `now`: a profile whose `performed(E, D)` count changed has an event E with timestamp in
 * [checkedThrough − D, now − D) (it left the window), and one whose `notSeenForDays(D)` changed
 * has its last activity in (checkedThrough − D, now − D]. Ranges are returned inclusive at both
 * ends (a superset is harmless); empty when `now` ≤ `checkedThrough`. Profiles outside every range
 * keep the value of every time leaf, so only those inside need re-evaluating.
 */
export function timeEdgeRanges(tree: SegmentCondition, checkedThrough: Date, now: Date): TimeEdgeRange[] {
  if (now.getTime() <= checkedThrough.getTime()) return [];
  const span = (days: number) => ({
    from: new Date(checkedThrough.getTime() - days * DAY_MS),
    to: new Date(now.getTime() - days * DAY_MS),
  });
  return [
    ...requiredEventWindows(tree).map((w) => ({ event: w.event, ...span(w.days) })),
    ...notSeenWindows(tree).map((days) => ({ event: null, ...span(days) })),
  ];
}

/** True when a comparison reads `identity.<kind>`, so the caller must load the profile's identities. */
export function usesIdentities(tree: SegmentCondition): boolean {
  let found = false;
  walkLeaves(tree, (leaf) => {
    if ('path' in leaf && leaf.path.startsWith('identity.')) found = true;
  });
  return found;
}

function walkLeaves(tree: SegmentCondition, visit: (leaf: SegmentCondition) => void): void {
  if ('and' in tree) return tree.and.forEach((c) => walkLeaves(c, visit));
  if ('or' in tree) return tree.or.forEach((c) => walkLeaves(c, visit));
  if ('not' in tree) return walkLeaves(tree.not, visit);
  visit(tree);
}
