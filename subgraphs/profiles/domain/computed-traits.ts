import { eventAmount } from '../../common/ecommerce';

/** Lengths of the event-count windows, in days, ending at processing time. */
export const COMPUTED_TRAIT_WINDOWS_DAYS = [7, 30, 90] as const;
export type WindowLabel = `${(typeof COMPUTED_TRAIT_WINDOWS_DAYS)[number]}d`;

/** Segment e-commerce spec event that counts as a purchase. */
export const ORDER_COMPLETED = 'Order Completed';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Start of each count window (`now` minus 7, 30 and 90 days), in `COMPUTED_TRAIT_WINDOWS_DAYS` order. */
export function windowStarts(now: Date): Date[] {
  return COMPUTED_TRAIT_WINDOWS_DAYS.map((days) => new Date(now.getTime() - days * DAY_MS));
}

/**
 * Aggregates of one profile's events of one `(type, name)`, as the service's grouped SQL returns
 * them. `windowCounts[i]` counts events at or after `windowStarts(now)[i]`.
 */
export interface EventAggregate {
  type: string;
  name: string | null;
  count: number;
  windowCounts: number[];
  firstAt: Date;
  lastAt: Date;
  /** Sum of `ProfileEvent.revenue` (0 when none carried revenue). */
  revenue: number;
}

/** The computed traits this stage derives itself, under fixed top-level keys of `computedTraits`. */
export interface BuiltinComputedTraits {
  /** `track` events per event name over the last 7/30/90 days. Names with no event in 90 days are left out. */
  eventCounts: Record<string, Record<WindowLabel, number>>;
  /** Every resolved event, all time and all types. */
  eventCount: number;
  /** Earliest and latest event time (ISO), or null before the first event. */
  firstSeen: string | null;
  lastSeen: string | null;
  /** Time (ISO) of the latest `Order Completed`, or null. */
  lastPurchaseAt: string | null;
  /** `Order Completed` events, all time. */
  orderCount: number;
  /** Sum of their revenue (`properties.revenue`, else `properties.total`). */
  totalRevenue: number;
  /** When these values were computed (ISO); the count windows end here. */
  computedAt: string;
}

/** Top-level keys of `computedTraits` owned by this stage; pushed namespaces may not use them. */
export const BUILTIN_COMPUTED_TRAIT_KEYS: readonly (keyof BuiltinComputedTraits)[] = [
  'eventCounts',
  'eventCount',
  'firstSeen',
  'lastSeen',
  'lastPurchaseAt',
  'orderCount',
  'totalRevenue',
  'computedAt',
];

/**
 * Shapes one profile's aggregate rows into its built-in computed traits. `now` is the processing
 * time the windows were measured from. Revenue is rounded to cents to hide float sums.
 */
export function shapeComputedTraits(rows: EventAggregate[], now: Date): BuiltinComputedTraits {
  const labels = COMPUTED_TRAIT_WINDOWS_DAYS.map((d) => `${d}d` as WindowLabel);
  const eventCounts: Record<string, Record<WindowLabel, number>> = {};
  let eventCount = 0;
  let first: Date | null = null;
  let last: Date | null = null;
  let lastPurchase: Date | null = null;
  let orderCount = 0;
  let revenue = 0;
  for (const row of rows) {
    if (row.windowCounts.length !== labels.length) {
      throw new RangeError(`shapeComputedTraits: windowCounts must have ${labels.length} entries (got ${row.windowCounts.length})`);
    }
    eventCount += row.count;
    if (!first || row.firstAt < first) first = row.firstAt;
    if (!last || row.lastAt > last) last = row.lastAt;
    if (row.type !== 'track' || row.name === null) continue;
    if (row.windowCounts.some((n) => n > 0)) {
      // one name can arrive in several rows (a batch query groups by profile too): add them up
      const counts = (eventCounts[row.name] ??= Object.fromEntries(labels.map((l) => [l, 0])) as Record<WindowLabel, number>);
      labels.forEach((label, i) => (counts[label] += row.windowCounts[i]));
    }
    if (row.name === ORDER_COMPLETED) {
      orderCount += row.count;
      revenue += row.revenue;
      if (!lastPurchase || row.lastAt > lastPurchase) lastPurchase = row.lastAt;
    }
  }
  return {
    eventCounts,
    eventCount,
    firstSeen: first?.toISOString() ?? null,
    lastSeen: last?.toISOString() ?? null,
    lastPurchaseAt: lastPurchase?.toISOString() ?? null,
    orderCount,
    totalRevenue: Math.round(revenue * 100) / 100,
    computedAt: now.toISOString(),
  };
}

/** Replaces the built-in keys of `computedTraits`, keeping every namespace other stages pushed. */
export function withBuiltinComputedTraits(
  existing: Record<string, unknown>,
  builtins: BuiltinComputedTraits,
): Record<string, unknown> {
  const pushed = Object.fromEntries(
    Object.entries(existing).filter(([key]) => !(BUILTIN_COMPUTED_TRAIT_KEYS as readonly string[]).includes(key)),
  );
  return { ...builtins, ...pushed };
}

/** A namespace another stage may push computed traits into: `risk`, `support_tier`, … */
export function isComputedTraitNamespace(source: string): boolean {
  return /^[a-z][a-z0-9_]{0,63}$/.test(source) && !(BUILTIN_COMPUTED_TRAIT_KEYS as readonly string[]).includes(source);
}

/**
 * `computedTraits` with `traits` written into the `source` namespace: named keys are replaced,
 * the namespace's other keys kept. Throws `RangeError` for a reserved or malformed namespace.
 */
export function withComputedNamespace(
  existing: Record<string, unknown>,
  source: string,
  traits: Record<string, unknown>,
): Record<string, unknown> {
  if (!isComputedTraitNamespace(source)) {
    throw new RangeError(`withComputedNamespace: source must match [a-z][a-z0-9_]* and not be a built-in key (source=${source})`);
  }
  const current = existing[source];
  const base = current !== null && typeof current === 'object' && !Array.isArray(current) ? current : {};
  const incoming = Object.fromEntries(Object.entries(traits).filter(([key]) => key !== '__proto__'));
  return { ...existing, [source]: { ...base, ...incoming } };
}

/**
 * `computedTraits` of a merge survivor: it keeps its own values, and gains every pushed namespace
 * only the merged profile had. Built-in keys are left alone (they are recomputed from events).
 */
export function mergePushedNamespaces(
  survivor: Record<string, unknown>,
  merged: Record<string, unknown>,
): Record<string, unknown> {
  const result = { ...survivor };
  for (const [key, value] of Object.entries(merged)) {
    if (!isComputedTraitNamespace(key) || Object.hasOwn(result, key)) continue;
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) result[key] = value;
  }
  return result;
}

/**
 * Revenue of an event per the Segment e-commerce spec: for `Order Completed`, `revenue`, else
 * `total` (numbers, or numeric strings as some SDKs send). Null for every other event.
 */
export function eventRevenue(type: string, name: string | null, properties: Record<string, unknown>): number | null {
  if (type !== 'track' || name !== ORDER_COMPLETED) return null;
  return eventAmount(properties);
}
