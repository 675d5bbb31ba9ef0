import { extractIdentityClaims, lookupKeys, type EventIdentityFields } from './resolution';

/**
 * Splits a resolve job's events into groups that can be resolved side by side: two events that
 * claim a common identifier (directly, or through a chain of events) are in one group, in job
 * order, and must be resolved one after the other (an `identify` before the `track` that follows
 * it). Events of different groups name no identifier in common, so neither can change what the
 * other finds; should both reach one stored profile (through identifiers stored earlier), the
 * resolution's row locks and retries order them, as for concurrent jobs. An event without a usable
 * identifier is a group of its own. Returns event indices, groups ordered by their first event.
 */
export function independentGroups(events: readonly EventIdentityFields[], extraJunk: readonly string[] = []): number[][] {
  const parent = events.map((_e, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]];
    return i;
  };
  const ownerOfKey = new Map<string, number>();
  events.forEach((event, i) => {
    for (const { kind, value } of lookupKeys(extractIdentityClaims(event, extraJunk))) {
      const key = `${kind}\u0000${value}`;
      const other = ownerOfKey.get(key);
      if (other === undefined) ownerOfKey.set(key, i);
      else parent[Math.max(root(i), root(other))] = Math.min(root(i), root(other));
    }
  });
  const groups = new Map<number, number[]>();
  events.forEach((_e, i) => {
    const r = root(i);
    const group = groups.get(r);
    if (group) group.push(i);
    else groups.set(r, [i]);
  });
  return [...groups.values()];
}
