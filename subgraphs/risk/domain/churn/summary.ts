/**
 * What churn features, the prior and a profile's value are computed from, as of a date: the
 * windowed and all-time aggregates of a profile's history. Built either from the whole history
 * (`summarizeHistory`, training and fallbacks) or from the incremental per-profile state
 * (`summaryFromState` in `feature-state.ts`, live scores); both give the same summary, so both
 * give the same features.
 */
import { DAY_MS, distinctDays, latestJourneyStates, type HistoryJourney, type HistorySignal, type ProfileHistory } from './history';

/** Longest window any feature looks back over, in days (events_90d, journeys_*_90d). */
export const EVENT_WINDOW_DAYS = 90;
/** Window of the signal features and of the prior's signal factors, in days. */
export const SIGNAL_WINDOW_DAYS = 30;

/** All purchases of one event name up to the date. */
export interface PurchaseSummary {
  count: number;
  /** Sum of the revenues in event order (a left fold from 0, so floating-point rounding matches). */
  revenue: number;
  /** The newest purchase: its time (ms) and event id. */
  last: { t: number; id: string } | null;
  /** Distinct UTC purchase days (`floor(ms / DAY_MS)`), ascending. */
  days: number[];
  /** Revenue of each of `days`, summed in event order from 0 (as `buildRfm` sums a day). */
  dayAmounts: number[];
}

export interface ProfileSummary {
  /** Events within `EVENT_WINDOW_DAYS` before the date (and not after it), ascending: time (ms) and name. */
  recentEvents: { t: number; name: string | null }[];
  /** Time (ms) of the first event, or null before any. */
  firstEventAt: number | null;
  /** The newest event: time (ms) and event id. */
  lastEvent: { t: number; id: string } | null;
  /** Distinct UTC days with an event, ascending. */
  activeDays: number[];
  /** Purchases per purchase event name asked for. */
  purchases: Record<string, PurchaseSummary>;
  /** Signals within `SIGNAL_WINDOW_DAYS` before the date, ascending. */
  recentSignals: HistorySignal[];
  /** Each journey instance's latest state as of the date, and when it was observed (ms). */
  journeys: { state: HistoryJourney['state']; observedAt: number }[];
  /** identify traits as of the date: the last value by event order wins. */
  traits: Map<string, unknown>;
}

/** The summary of a whole history as of `asOf`, with the purchases of each of `purchaseEvents`. */
export function summarizeHistory(history: ProfileHistory, asOf: Date, purchaseEvents: readonly string[]): ProfileSummary {
  const at = asOf.getTime();
  const events = history.events.filter((e) => e.timestamp.getTime() <= at);
  const last = events.at(-1);
  const purchases: Record<string, PurchaseSummary> = {};
  for (const name of purchaseEvents) {
    const ofName = events.filter((e) => e.name === name);
    const days = distinctDays(ofName.map((e) => e.timestamp));
    const byDay = new Map<number, number>();
    for (const e of ofName) {
      const day = Math.floor(e.timestamp.getTime() / DAY_MS);
      byDay.set(day, (byDay.get(day) ?? 0) + (e.revenue ?? 0));
    }
    const lastPurchase = ofName.at(-1);
    purchases[name] = {
      count: ofName.length,
      revenue: ofName.reduce((sum, e) => sum + (e.revenue ?? 0), 0),
      last: lastPurchase ? { t: lastPurchase.timestamp.getTime(), id: lastPurchase.id } : null,
      days,
      dayAmounts: days.map((d) => byDay.get(d)!),
    };
  }
  const traits = new Map<string, unknown>();
  for (const e of events) if (e.traits) for (const [name, value] of Object.entries(e.traits)) traits.set(name, value);
  return {
    recentEvents: events.filter((e) => e.timestamp.getTime() > at - EVENT_WINDOW_DAYS * DAY_MS).map((e) => ({ t: e.timestamp.getTime(), name: e.name })),
    firstEventAt: events.length ? events[0].timestamp.getTime() : null,
    lastEvent: last ? { t: last.timestamp.getTime(), id: last.id } : null,
    activeDays: distinctDays(events.map((e) => e.timestamp)),
    purchases,
    recentSignals: history.signals.filter((s) => s.detectedAt.getTime() <= at && s.detectedAt.getTime() > at - SIGNAL_WINDOW_DAYS * DAY_MS),
    journeys: [...latestJourneyStates(history.journeys, at).values()],
    traits,
  };
}

/** A summary's purchases of `name`; a summary built without that name is a programming error. */
export function purchasesOf(summary: ProfileSummary, name: string): PurchaseSummary {
  const purchases = summary.purchases[name];
  if (!purchases) throw new RangeError(`purchasesOf: the summary has no purchases of "${name}" (has ${Object.keys(summary.purchases).join(', ')})`);
  return purchases;
}

/**
 * The purchases of `name` as the lifetime model reads them (`valueProfile`): one per purchase
 * day, with that day's revenue. `buildRfm` sums a day's purchases anyway, so this gives the same
 * (x, t_x, T, monetary) as the purchases one by one.
 */
export function purchaseDaysOf(summary: ProfileSummary, name: string): { at: Date; amount: number }[] {
  const purchases = purchasesOf(summary, name);
  return purchases.days.map((day, i) => ({ at: new Date(day * DAY_MS), amount: purchases.dayAmounts[i] }));
}
