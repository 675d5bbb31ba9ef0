import { createSeededRandom, type Random } from '../../../../../subgraphs/common/math/random';
import { applyToState, emptyFeatureState, stateFromHistory, summaryFromState, type FeatureState, type FeatureStateItem } from '../../../../../subgraphs/risk/domain/churn/feature-state';
import { buildFeatures, featuresFromSummary, type FeatureOptions } from '../../../../../subgraphs/risk/domain/churn/features';
import { DAY_MS, type HistoryJourney, type ProfileHistory } from '../../../../../subgraphs/risk/domain/churn/history';
import { scorePrior, scorePriorFromSummary } from '../../../../../subgraphs/risk/domain/churn/prior';
import { purchaseDaysOf } from '../../../../../subgraphs/risk/domain/churn/summary';
import { valueProfile, type LifetimeModelParams } from '../../../../../subgraphs/risk/domain/lifetime/profile-value';

const PURCHASE = 'Order Completed';
const NAMES = ['Page Viewed', 'Support Ticket', 'ID Upload Failed', PURCHASE, 'App Opened'];
const SIGNAL_TYPES = ['retry_loop', 'rage_click', 'error_burst'];
const SUMMARIES = ['3 failed ID uploads in 10 min', '5 rage clicks', 'errors on checkout', 'slow page'];
const STATES: HistoryJourney['state'][] = ['active', 'stalled', 'completed', 'abandoned'];
const OPTIONS: FeatureOptions = {
  purchaseEvent: PURCHASE,
  events: ['Support Ticket', 'ID Upload Failed'],
  signalTypes: SIGNAL_TYPES,
  traits: [
    { name: 'plan', type: 'categorical' },
    { name: 'seats', type: 'numeric' },
    { name: 'missing', type: 'numeric' },
  ],
};
const LIFETIME: LifetimeModelParams = {
  bgNbd: { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
  gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 },
  timeUnit: 'weeks',
  horizon: 52,
  discountRate: 0.01,
  purchaseEvent: PURCHASE,
};
const START = Date.parse('2025-01-01T00:00:00Z');

/** An observation as `record-activity` delivers it: its source id is what insert-or-ignore keys on. */
type Delivery = (FeatureStateItem extends infer I ? (I extends FeatureStateItem ? Omit<I, 'key'> : never) : never) & { source: string };

/** A random history of one profile, as deliveries in time order. */
function randomDeliveries(random: Random): Delivery[] {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]) => list[int(list.length)];
  const span = (1 + int(400)) * DAY_MS;
  // times on a coarse grid now and then, so several items share a time (ties go by row id)
  const time = () => START + (random() < 0.3 ? Math.floor((random() * span) / (6 * 3_600_000)) * 6 * 3_600_000 : Math.floor(random() * span));
  const out: Delivery[] = [];
  const n = int(60);
  for (let i = 0; i < n; i++) {
    const roll = random();
    const source = `src-${i}`;
    if (roll < 0.6) {
      const name = pick(NAMES);
      const revenue = name === PURCHASE && random() < 0.85 ? Math.round(random() * 20_000) / 100 : null;
      out.push({ kind: 'event', source, id: `e${i}`, t: time(), name, revenue, traits: null });
    } else if (roll < 0.7) {
      const traits: Record<string, unknown> = {};
      if (random() < 0.7) traits.plan = pick(['basic', 'pro', 'team', null]);
      if (random() < 0.6) traits.seats = pick([1, 5, '12', '', 'many', 40.5]);
      out.push({ kind: 'event', source, id: `e${i}`, t: time(), name: null, revenue: null, traits });
    } else if (roll < 0.85) {
      out.push({ kind: 'signal', source, id: `s${i}`, t: time(), type: pick(SIGNAL_TYPES), severity: Math.round(random() * 100) / 100, summary: pick(SUMMARIES) });
    } else {
      out.push({ kind: 'journey', source, instanceId: `j${int(4)}`, t: time(), state: pick(STATES) });
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

/** Arrival order: mostly in time order, some late, some delivered twice. */
function arrivals(random: Random, deliveries: Delivery[]): Delivery[] {
  const order = [...deliveries];
  for (let i = 0; i < order.length; i++) {
    if (random() < 0.15) {
      // a late arrival: moved some way forward in the stream
      const j = Math.min(order.length - 1, i + 1 + Math.floor(random() * 10));
      [order[i], order[j]] = [order[j], order[i]];
    }
  }
  const withDuplicates: Delivery[] = [];
  for (const d of order) {
    withDuplicates.push(d);
    if (random() < 0.1) withDuplicates.splice(Math.floor(random() * withDuplicates.length) + 1, 0, d);
  }
  return withDuplicates;
}

/** What the database holds, read back as a history: ordered by time, then row id. */
function historyOf(stored: FeatureStateItem[]): ProfileHistory {
  const sorted = [...stored].sort((a, b) => a.t - b.t || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const history: ProfileHistory = { profileId: 'p', events: [], signals: [], journeys: [] };
  for (const item of sorted) {
    if (item.kind === 'event') history.events.push({ id: item.id, key: item.key, type: item.name ? 'track' : 'identify', name: item.name, timestamp: new Date(item.t), revenue: item.revenue, traits: item.traits });
    else if (item.kind === 'signal') history.signals.push({ id: item.id, key: item.key, type: item.type, severity: item.severity, detectedAt: new Date(item.t), summary: item.summary });
    else history.journeys.push({ instanceId: item.instanceId, key: item.key, journeyName: 'onboarding', state: item.state, observedAt: new Date(item.t) });
  }
  return history;
}

/** The state round-tripped through its text column. */
const stored = (state: FeatureState): FeatureState => JSON.parse(JSON.stringify(state)) as FeatureState;

function expectSameAsHistory(state: FeatureState, history: ProfileHistory, asOf: Date): void {
  const summary = summaryFromState(state, asOf, [PURCHASE])!;
  expect(summary).not.toBeNull();
  expect(featuresFromSummary(summary, asOf, OPTIONS)).toEqual(buildFeatures(history, asOf, OPTIONS));
  expect(scorePriorFromSummary(summary, asOf)).toEqual(scorePrior(history, asOf));
  const purchases = history.events.filter((e) => e.name === PURCHASE).map((e) => ({ at: e.timestamp, amount: e.revenue ?? 0 }));
  expect(valueProfile(LIFETIME, purchaseDaysOf(summary, PURCHASE), asOf)).toEqual(valueProfile(LIFETIME, purchases, asOf));
}

describe('applyToState', () => {
  it('gives the same features, prior and value as the whole history, for 250 random histories folded in random batches', () => {
    const random = createSeededRandom(20261202);
    let rebuilds = 0;
    let checks = 0;
    for (let c = 0; c < 250; c++) {
      const stream = arrivals(random, randomDeliveries(random));
      const rows = new Map<string, FeatureStateItem>(); // the activity tables: insert-or-ignore on the source id
      let state = stored(emptyFeatureState([PURCHASE]));
      let i = 0;
      while (i < stream.length) {
        const batch = stream.slice(i, (i += 1 + Math.floor(random() * 8)));
        const inserted: FeatureStateItem[] = [];
        for (const { source, ...item } of batch) {
          if (rows.has(source)) continue;
          // row ids grow with insertion, as uuidv7 ids do
          const row = { ...item, key: `row-${String(rows.size).padStart(6, '0')}` } as FeatureStateItem;
          rows.set(source, row);
          inserted.push(row);
        }
        const next = applyToState(state, inserted);
        if (next === null) rebuilds++;
        state = stored(next ?? stateFromHistory(historyOf([...rows.values()]), [PURCHASE]));
        if (random() < 0.04 || i >= stream.length) {
          const history = historyOf([...rows.values()]);
          const newest = state.newest ?? START;
          for (const lag of [0, 1 + Math.floor(random() * 120), 29.99, 60, 90]) {
            expectSameAsHistory(state, history, new Date(newest + Math.round(lag * DAY_MS)));
            checks++;
          }
        }
      }
    }
    // out-of-order purchases are rebuilt from history, the rest is folded
    expect(rebuilds).toBeGreaterThan(0);
    expect(checks).toBeGreaterThan(1200);
  });

  it('folds nothing from an empty batch (a replay inserts no rows), so applying it changes nothing', () => {
    const random = createSeededRandom(7);
    for (let c = 0; c < 50; c++) {
      let key = 0;
      const items = randomDeliveries(random).map(({ source: _source, ...item }) => ({ ...item, key: `row-${String(key++).padStart(4, '0')}` }) as FeatureStateItem);
      const state = stored(stateFromHistory(historyOf(items), [PURCHASE]));
      expect(applyToState(state, [])).toEqual(state);
    }
  });

  it('does not modify the state it is given', () => {
    const state = emptyFeatureState([PURCHASE]);
    const before = JSON.stringify(state);
    applyToState(state, [{ kind: 'event', key: 'k1', id: 'e1', t: START, name: PURCHASE, revenue: 10, traits: { plan: 'pro' } }]);
    expect(JSON.stringify(state)).toBe(before);
  });

  it('cannot fold a purchase older than the newest folded one (its revenue would be summed out of order)', () => {
    const state = applyToState(emptyFeatureState([PURCHASE]), [{ kind: 'event', key: 'k2', id: 'e2', t: START + DAY_MS, name: PURCHASE, revenue: 0.1, traits: null }])!;
    expect(applyToState(state, [{ kind: 'event', key: 'k3', id: 'e3', t: START, name: PURCHASE, revenue: 0.2, traits: null }])).toBeNull();
    expect(applyToState({ ...state, v: state.v + 1 }, [])).toBeNull();
    // any other late event folds exactly
    expect(applyToState(state, [{ kind: 'event', key: 'k4', id: 'e4', t: START, name: 'Page Viewed', revenue: null, traits: null }])).not.toBeNull();
  });
});

describe('summaryFromState', () => {
  it('gives nothing as of a date before the newest item folded in, nor for a purchase event it does not track', () => {
    const state = applyToState(emptyFeatureState([PURCHASE]), [{ kind: 'signal', key: 'k1', id: 's1', t: START, type: 'retry_loop', severity: 0.5, summary: 'x' }])!;
    expect(summaryFromState(state, new Date(START - 1), [PURCHASE])).toBeNull();
    expect(summaryFromState(state, new Date(START), ['Subscription Renewed'])).toBeNull();
    expect(summaryFromState(state, new Date(START), [PURCHASE])).not.toBeNull();
  });
});
