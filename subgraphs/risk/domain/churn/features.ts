/**
 * Churn features of a profile as of a date: only what happened up to `asOf` counts, so the same
 * function builds point-in-time training rows and live scores (no leakage by construction).
 */
import { DAY_MS, medianGapDays, type ProfileHistory } from './history';
import type { FeatureRow, FeatureSpec } from './logistic-regression';
import { purchasesOf, summarizeHistory, type ProfileSummary } from './summary';

export interface TraitFeature {
  name: string;
  type: 'numeric' | 'categorical';
}

/** Which features a tenant's model uses, beyond the built-in behavioural ones. */
export interface FeatureOptions {
  /** The event that is a purchase (Segment e-commerce spec: `Order Completed`). */
  purchaseEvent: string;
  /** Event names counted over 30 days, one feature each (`events_30d:<name>`). */
  events: string[];
  /** Signal types counted over 30 days, one feature each (`signals_30d:<type>`). */
  signalTypes: string[];
  /** identify traits, as of the date (last write wins by event time). */
  traits: TraitFeature[];
}

export const BUILT_IN_FEATURES = [
  'days_since_last_event',
  'tenure_days',
  'events_7d',
  'events_30d',
  'events_90d',
  'active_days_30d',
  'activity_change_30d',
  'orders_total',
  'revenue_total',
  'days_since_last_purchase',
  'purchase_overdue_ratio',
  'signal_severity_30d',
  'journeys_stalled',
  'journeys_abandoned_90d',
  'journeys_completed_90d',
] as const;

/** A profile's features, with the evidence (signal ids) and plain words behind each. */
export interface FeatureSnapshot {
  values: FeatureRow;
  evidence: Record<string, string[]>;
  describe: Record<string, string>;
}

export function featureSpec(options: FeatureOptions): FeatureSpec {
  return {
    numeric: [
      ...BUILT_IN_FEATURES,
      ...options.events.map((e) => `events_30d:${e}`),
      ...options.signalTypes.map((t) => `signals_30d:${t}`),
      ...options.traits.filter((t) => t.type === 'numeric').map((t) => `trait:${t.name}`),
    ],
    categorical: options.traits.filter((t) => t.type === 'categorical').map((t) => `trait:${t.name}`),
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const round1 = (n: number) => Math.round(n * 10) / 10;

export function buildFeatures(history: ProfileHistory, asOf: Date, options: FeatureOptions): FeatureSnapshot {
  return featuresFromSummary(summarizeHistory(history, asOf, [options.purchaseEvent]), asOf, options);
}

/** The features of a profile from its summary as of `asOf` (which must hold `options.purchaseEvent`). */
export function featuresFromSummary(summary: ProfileSummary, asOf: Date, options: FeatureOptions): FeatureSnapshot {
  const at = asOf.getTime();
  const since = (days: number) => at - days * DAY_MS;
  const events = summary.recentEvents;
  const values: FeatureRow = {};
  const evidence: Record<string, string[]> = {};
  const describe: Record<string, string> = {};
  // windows are at most EVENT_WINDOW_DAYS long, so the summary's recent events hold all they count
  const count = (days: number, name?: string) => events.filter((e) => e.t > since(days) && (name === undefined || e.name === name)).length;

  const last = summary.lastEvent;
  values.days_since_last_event = last ? round1((at - last.t) / DAY_MS) : null;
  const usualActivityGap = medianGapDays(summary.activeDays);
  describe.days_since_last_event = last
    ? `no activity for ${Math.round(values.days_since_last_event as number)} days${usualActivityGap !== null ? ` vs usual ${Math.round(usualActivityGap)}` : ''}`
    : 'no activity yet';
  values.tenure_days = summary.firstEventAt !== null ? round1((at - summary.firstEventAt) / DAY_MS) : 0;
  describe.tenure_days = `customer for ${Math.round(values.tenure_days as number)} days`;
  for (const days of [7, 30, 90]) {
    values[`events_${days}d`] = count(days);
    describe[`events_${days}d`] = `${plural(values[`events_${days}d`] as number, 'event')} in the last ${days} days`;
  }
  const activeDays = new Set(events.filter((e) => e.t > since(30)).map((e) => Math.floor(e.t / DAY_MS))).size;
  values.active_days_30d = activeDays;
  describe.active_days_30d = `active on ${plural(activeDays, 'day')} of the last 30`;
  const previous30 = events.filter((e) => e.t > since(60) && e.t <= since(30)).length;
  values.activity_change_30d = (values.events_30d as number) - previous30;
  describe.activity_change_30d = `${plural(values.events_30d as number, 'event')} in the last 30 days vs ${previous30} in the 30 before`;

  const purchases = purchasesOf(summary, options.purchaseEvent);
  values.orders_total = purchases.count;
  describe.orders_total = plural(purchases.count, 'order');
  values.revenue_total = Math.round(purchases.revenue * 100) / 100;
  describe.revenue_total = `${values.revenue_total} in revenue`;
  const lastPurchase = purchases.last;
  const usualGap = medianGapDays(purchases.days);
  values.days_since_last_purchase = lastPurchase ? round1((at - lastPurchase.t) / DAY_MS) : null;
  values.purchase_overdue_ratio = lastPurchase && usualGap ? round1((values.days_since_last_purchase as number) / usualGap) : null;
  describe.days_since_last_purchase = lastPurchase
    ? `no purchase for ${Math.round(values.days_since_last_purchase as number)} days${usualGap ? ` vs usual ${Math.round(usualGap)}` : ''}`
    : 'no purchase yet';
  describe.purchase_overdue_ratio = describe.days_since_last_purchase;
  if (lastPurchase) evidence.days_since_last_purchase = evidence.purchase_overdue_ratio = [lastPurchase.id];
  if (last) evidence.days_since_last_event = [last.id];

  const recentSignals = summary.recentSignals;
  values.signal_severity_30d = round1(recentSignals.reduce((sum, s) => sum + s.severity, 0));
  describe.signal_severity_30d = recentSignals.length ? summarise(recentSignals.map((s) => s.summary)) : 'no friction in the last 30 days';
  evidence.signal_severity_30d = recentSignals.map((s) => s.id);
  for (const type of options.signalTypes) {
    const ofType = recentSignals.filter((s) => s.type === type);
    const key = `signals_30d:${type}`;
    values[key] = ofType.length;
    evidence[key] = ofType.map((s) => s.id);
    describe[key] = ofType.length ? summarise(ofType.map((s) => s.summary)) : `no ${type.replace(/_/g, ' ')} in the last 30 days`;
  }
  for (const name of options.events) {
    const key = `events_30d:${name}`;
    values[key] = count(30, name);
    describe[key] = `${plural(values[key] as number, `"${name}" event`)} in the last 30 days`;
  }

  Object.assign(values, journeyFeatures(summary, at), traitFeatures(summary, options.traits));
  describe.journeys_stalled = `${plural(values.journeys_stalled as number, 'journey')} stalled now`;
  describe.journeys_abandoned_90d = `${plural(values.journeys_abandoned_90d as number, 'journey')} abandoned in the last 90 days`;
  describe.journeys_completed_90d = `${plural(values.journeys_completed_90d as number, 'journey')} completed in the last 90 days`;
  for (const t of options.traits) describe[`trait:${t.name}`] = `${t.name} is ${values[`trait:${t.name}`] ?? 'unknown'}`;
  return { values, evidence, describe };
}

/** Up to two signal summaries, and how many more. */
function summarise(summaries: string[]): string {
  const unique = [...new Set(summaries.slice().reverse())];
  const shown = unique.slice(0, 2).join('; ');
  return unique.length > 2 ? `${shown} (+${unique.length - 2} more)` : shown;
}

/** Counts of the journey instances by their latest state as of `at`. */
function journeyFeatures(summary: ProfileSummary, at: number): FeatureRow {
  const recent = (j: { observedAt: number }) => j.observedAt > at - 90 * DAY_MS;
  const states = summary.journeys;
  return {
    journeys_stalled: states.filter((j) => j.state === 'stalled').length,
    journeys_abandoned_90d: states.filter((j) => j.state === 'abandoned' && recent(j)).length,
    journeys_completed_90d: states.filter((j) => j.state === 'completed' && recent(j)).length,
  };
}

/** identify traits as of the date: the last value by event time wins. */
function traitFeatures(summary: ProfileSummary, traits: TraitFeature[]): FeatureRow {
  const row: FeatureRow = {};
  for (const t of traits) {
    const value: unknown = summary.traits.has(t.name) ? summary.traits.get(t.name) : null;
    if (t.type === 'numeric') {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      row[`trait:${t.name}`] = typeof n === 'number' && Number.isFinite(n) ? n : null;
    } else {
      row[`trait:${t.name}`] = value === null || value === undefined ? null : String(value);
    }
  }
  return row;
}
