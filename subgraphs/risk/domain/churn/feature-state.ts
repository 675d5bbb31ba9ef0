/**
 * Incremental per-profile feature state: what live scoring needs of a profile's history, kept up
 * to date from each `record-activity` batch instead of re-read. It holds exactly enough that
 * `summaryFromState(state, asOf)` equals `summarizeHistory(history, asOf)` for every `asOf` at or
 * after the newest item folded in (live scores are "now"):
 *
 * - all-time aggregates that fold in any order: first and last event, distinct active days,
 *   each journey instance's latest state, each trait's last write (by time, then row id);
 * - exact timestamps of the tail that a window can still reach: events newer than
 *   `newest − 90 days`, signals newer than `newest − 30 days` (every window ends at
 *   `asOf ≥ newest`, so an older item can never count again);
 * - purchases per tracked purchase event: count, revenue and per-day amounts are sums in event
 *   order, so they fold exactly only in order. A purchase older than the newest one folded
 *   returns null from `applyToState`: the caller rebuilds the state from history.
 *
 * Ties in time are ordered by the stored row id (`key`), as histories are read.
 */
import { DAY_MS, type HistoryJourney, type ProfileHistory } from './history';
import { EVENT_WINDOW_DAYS, SIGNAL_WINDOW_DAYS, type ProfileSummary, type PurchaseSummary } from './summary';

/** Bumped when the shape changes: a state of another version is rebuilt from history. */
export const FEATURE_STATE_VERSION = 1;

/** A point in a profile's history: time (ms), then the stored row's id. */
interface Stamp {
  t: number;
  k: string;
}

interface PurchaseState extends PurchaseSummary {
  last: { t: number; k: string; id: string } | null;
}

/** Plain JSON: stored as text, one row per profile. */
export interface FeatureState {
  v: number;
  /** Purchase event names this state keeps purchases of. */
  purchaseEvents: string[];
  /** Newest time folded in (events, signals, snapshots), ms; null when empty. */
  newest: number | null;
  firstEventAt: number | null;
  lastEvent: { t: number; k: string; id: string } | null;
  /** Distinct UTC days with an event, ascending. */
  activeDays: number[];
  /** Events newer than `newest − EVENT_WINDOW_DAYS`, ascending by (t, k): [t, k, name]. */
  tail: [number, string, string | null][];
  purchases: Record<string, PurchaseState>;
  /** Signals newer than `newest − SIGNAL_WINDOW_DAYS`, ascending by (t, k). */
  signals: { t: number; k: string; id: string; type: string; severity: number; summary: string }[];
  /** Latest snapshot per journey instance id. */
  journeys: Record<string, { t: number; k: string; state: HistoryJourney['state'] }>;
  /** Last write per trait name (a list: trait names are the tenant's, `__proto__` included). */
  traits: { name: string; t: number; k: string; value: unknown }[];
}

/** One stored observation to fold in; `key` is its row id. */
export type FeatureStateItem =
  | { kind: 'event'; key: string; id: string; t: number; name: string | null; revenue: number | null; traits: Record<string, unknown> | null }
  | { kind: 'signal'; key: string; id: string; t: number; type: string; severity: number; summary: string }
  | { kind: 'journey'; key: string; instanceId: string; t: number; state: HistoryJourney['state'] };

export function emptyFeatureState(purchaseEvents: readonly string[]): FeatureState {
  const names = [...new Set(purchaseEvents)].sort();
  return {
    v: FEATURE_STATE_VERSION,
    purchaseEvents: names,
    newest: null,
    firstEventAt: null,
    lastEvent: null,
    activeDays: [],
    tail: [],
    purchases: Object.fromEntries(names.map((n) => [n, { count: 0, revenue: 0, last: null, days: [], dayAmounts: [] }])),
    signals: [],
    journeys: {},
    traits: [],
  };
}

const compare = (a: Stamp, b: Stamp): number => a.t - b.t || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0);

/** Inserts `day` into an ascending list of distinct days. */
function addDay(days: number[], day: number): void {
  let lo = 0;
  let hi = days.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (days[mid] < day) lo = mid + 1;
    else hi = mid;
  }
  if (days[lo] !== day) days.splice(lo, 0, day);
}

/**
 * The state with `items` folded in, or null when one cannot be folded exactly (a purchase older
 * than the newest purchase of its name: its revenue would be summed out of order) or the state is
 * of another `FEATURE_STATE_VERSION`. Items must be
 * newly stored rows (each folded once: a replay folds nothing, see `ActivityService`); their
 * order does not matter. `state` is not modified.
 */
export function applyToState(state: FeatureState, items: readonly FeatureStateItem[]): FeatureState | null {
  if (state.v !== FEATURE_STATE_VERSION) return null; // another shape: rebuilt from history
  const next = structuredClone(state);
  const ordered = [...items].sort((a, b) => compare({ t: a.t, k: a.key }, { t: b.t, k: b.key }));
  for (const item of ordered) {
    const at: Stamp = { t: item.t, k: item.key };
    next.newest = next.newest === null ? item.t : Math.max(next.newest, item.t);
    switch (item.kind) {
      case 'event': {
        next.firstEventAt = next.firstEventAt === null ? item.t : Math.min(next.firstEventAt, item.t);
        if (!next.lastEvent || compare(at, next.lastEvent) > 0) next.lastEvent = { t: item.t, k: item.key, id: item.id };
        addDay(next.activeDays, Math.floor(item.t / DAY_MS));
        next.tail.push([item.t, item.key, item.name]);
        const purchases = item.name !== null && Object.hasOwn(next.purchases, item.name) ? next.purchases[item.name] : undefined;
        if (purchases) {
          if (purchases.last && compare(at, purchases.last) < 0) return null;
          purchases.count += 1;
          purchases.revenue += item.revenue ?? 0;
          purchases.last = { t: item.t, k: item.key, id: item.id };
          const day = Math.floor(item.t / DAY_MS);
          // in order, a purchase's day is the newest purchase day or a later one
          if (purchases.days.at(-1) === day) purchases.dayAmounts[purchases.dayAmounts.length - 1] += item.revenue ?? 0;
          else {
            purchases.days.push(day);
            purchases.dayAmounts.push(0 + (item.revenue ?? 0));
          }
        }
        for (const [name, value] of Object.entries(item.traits ?? {})) {
          const seen = next.traits.find((w) => w.name === name);
          if (!seen) next.traits.push({ name, t: item.t, k: item.key, value });
          else if (compare(at, seen) > 0) Object.assign(seen, { t: item.t, k: item.key, value });
        }
        break;
      }
      case 'signal':
        next.signals.push({ t: item.t, k: item.key, id: item.id, type: item.type, severity: item.severity, summary: item.summary });
        break;
      case 'journey': {
        const seen = Object.hasOwn(next.journeys, item.instanceId) ? next.journeys[item.instanceId] : undefined;
        if (!seen || compare(at, seen) > 0) next.journeys[item.instanceId] = { t: item.t, k: item.key, state: item.state };
        break;
      }
    }
  }
  if (next.newest !== null) {
    // what no window ending at or after `newest` can reach is dropped
    const eventsFrom = next.newest - EVENT_WINDOW_DAYS * DAY_MS;
    const signalsFrom = next.newest - SIGNAL_WINDOW_DAYS * DAY_MS;
    next.tail = next.tail.filter(([t]) => t > eventsFrom).sort((a, b) => compare({ t: a[0], k: a[1] }, { t: b[0], k: b[1] }));
    next.signals = next.signals.filter((s) => s.t > signalsFrom).sort(compare);
  }
  return next;
}

/** The items of a whole history (each with its row id as `key`), to fold into an empty state. */
export function itemsOfHistory(history: ProfileHistory): FeatureStateItem[] {
  const keyOf = (key: string | undefined, what: string): string => {
    if (key === undefined) throw new RangeError(`itemsOfHistory: ${what} of profile ${history.profileId} has no row id (key)`);
    return key;
  };
  return [
    ...history.events.map((e): FeatureStateItem => ({ kind: 'event', key: keyOf(e.key, `event ${e.id}`), id: e.id, t: e.timestamp.getTime(), name: e.name, revenue: e.revenue, traits: e.traits ?? null })),
    ...history.signals.map((s): FeatureStateItem => ({ kind: 'signal', key: keyOf(s.key, `signal ${s.id}`), id: s.id, t: s.detectedAt.getTime(), type: s.type, severity: s.severity, summary: s.summary })),
    ...history.journeys.map((j): FeatureStateItem => ({ kind: 'journey', key: keyOf(j.key, `snapshot of ${j.instanceId}`), instanceId: j.instanceId, t: j.observedAt.getTime(), state: j.state })),
  ];
}

/** A profile's state built from its whole history (in order, so it always folds). */
export function stateFromHistory(history: ProfileHistory, purchaseEvents: readonly string[]): FeatureState {
  return applyToState(emptyFeatureState(purchaseEvents), itemsOfHistory(history))!;
}

/**
 * Whether the state can give the summary as of `asOf` with the purchases of `purchaseEvents`:
 * it is of this version, tracks those names, and `asOf` is not before anything folded in.
 */
export function canSummarize(state: FeatureState, asOf: Date, purchaseEvents: readonly string[]): boolean {
  return state.v === FEATURE_STATE_VERSION && purchaseEvents.every((n) => state.purchaseEvents.includes(n)) && (state.newest === null || asOf.getTime() >= state.newest);
}

/**
 * The summary as of `asOf` (see `summary.ts`), equal to `summarizeHistory` of the history folded
 * in; null when `canSummarize` says the state cannot give it (the caller reads the history).
 */
export function summaryFromState(state: FeatureState, asOf: Date, purchaseEvents: readonly string[]): ProfileSummary | null {
  if (!canSummarize(state, asOf, purchaseEvents)) return null;
  const at = asOf.getTime();
  const purchases: Record<string, PurchaseSummary> = {};
  for (const name of purchaseEvents) {
    const p = state.purchases[name];
    purchases[name] = { count: p.count, revenue: p.revenue, last: p.last && { t: p.last.t, id: p.last.id }, days: [...p.days], dayAmounts: [...p.dayAmounts] };
  }
  return {
    recentEvents: state.tail.filter(([t]) => t > at - EVENT_WINDOW_DAYS * DAY_MS).map(([t, , name]) => ({ t, name })),
    firstEventAt: state.firstEventAt,
    lastEvent: state.lastEvent && { t: state.lastEvent.t, id: state.lastEvent.id },
    activeDays: [...state.activeDays],
    purchases,
    recentSignals: state.signals
      .filter((s) => s.t > at - SIGNAL_WINDOW_DAYS * DAY_MS)
      .map((s) => ({ id: s.id, type: s.type, severity: s.severity, detectedAt: new Date(s.t), summary: s.summary })),
    journeys: Object.values(state.journeys).map((j) => ({ state: j.state, observedAt: j.t })),
    traits: new Map(state.traits.map((w) => [w.name, w.value])),
  };
}

/** The journey instances whose latest state is open (active or stalled). */
export function hasOpenJourneyIn(summary: ProfileSummary): boolean {
  return summary.journeys.some((j) => j.state === 'active' || j.state === 'stalled');
}
