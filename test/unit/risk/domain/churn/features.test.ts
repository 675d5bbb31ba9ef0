import { BUILT_IN_FEATURES, buildFeatures, featureSpec, type FeatureOptions } from '../../../../../subgraphs/risk/domain/churn/features';
import { DAY_MS, type HistoryEvent, type HistoryJourney, type HistorySignal, type ProfileHistory } from '../../../../../subgraphs/risk/domain/churn/history';

const AS_OF = new Date('2024-06-30T12:00:00.000Z');
const PURCHASE = 'Order Completed';
const OPTIONS: FeatureOptions = { purchaseEvent: PURCHASE, events: [], signalTypes: [], traits: [] };

/** `days` days before AS_OF (negative: after it). */
const ago = (days: number) => new Date(AS_OF.getTime() - days * DAY_MS);
const event = (id: string, timestamp: Date, name: string | null = 'Page Viewed', extra: Partial<HistoryEvent> = {}): HistoryEvent => ({
  id,
  type: 'track',
  name,
  timestamp,
  revenue: null,
  ...extra,
});
const identify = (id: string, timestamp: Date, traits: Record<string, unknown>): HistoryEvent => ({ id, type: 'identify', name: null, timestamp, revenue: null, traits });
const signal = (id: string, type: string, severity: number, detectedAt: Date, summary: string): HistorySignal => ({ id, type, severity, detectedAt, summary });
const journey = (instanceId: string, state: HistoryJourney['state'], observedAt: Date): HistoryJourney => ({ instanceId, journeyName: 'onboarding', state, observedAt });
const history = (parts: Partial<ProfileHistory>): ProfileHistory => ({ profileId: 'p1', events: [], signals: [], journeys: [], ...parts });
/** The same history with everything after `at` removed. */
const truncate = (h: ProfileHistory, at: Date): ProfileHistory => ({
  profileId: h.profileId,
  events: h.events.filter((e) => e.timestamp <= at),
  signals: h.signals.filter((s) => s.detectedAt <= at),
  journeys: h.journeys.filter((j) => j.observedAt <= at),
});

describe('featureSpec', () => {
  it('lists only the built-in features as numeric when no extras are configured', () => {
    expect(featureSpec(OPTIONS)).toEqual({ numeric: [...BUILT_IN_FEATURES], categorical: [] });
  });

  it('adds per-event and per-signal-type counts and splits traits by type', () => {
    const spec = featureSpec({
      purchaseEvent: PURCHASE,
      events: ['Page Viewed', 'Support Ticket'],
      signalTypes: ['rage_click'],
      traits: [
        { name: 'plan', type: 'categorical' },
        { name: 'seats', type: 'numeric' },
        { name: 'region', type: 'categorical' },
        { name: 'age', type: 'numeric' },
      ],
    });
    expect(spec.numeric).toEqual([
      ...BUILT_IN_FEATURES,
      'events_30d:Page Viewed',
      'events_30d:Support Ticket',
      'signals_30d:rage_click',
      'trait:seats',
      'trait:age',
    ]);
    expect(spec.categorical).toEqual(['trait:plan', 'trait:region']);
  });
});

describe('buildFeatures', () => {
  it('gives a row with exactly the features its spec lists', () => {
    const options: FeatureOptions = {
      purchaseEvent: PURCHASE,
      events: ['Page Viewed'],
      signalTypes: ['rage_click'],
      traits: [
        { name: 'plan', type: 'categorical' },
        { name: 'seats', type: 'numeric' },
      ],
    };
    const spec = featureSpec(options);
    const { values } = buildFeatures(history({ events: [event('e1', ago(3))] }), AS_OF, options);
    expect(Object.keys(values).sort()).toEqual([...spec.numeric, ...spec.categorical].sort());
  });

  it('describes an empty history as unknown or zero', () => {
    const { values, evidence, describe: words } = buildFeatures(history({}), AS_OF, OPTIONS);
    expect(values).toMatchObject({
      days_since_last_event: null,
      tenure_days: 0,
      events_7d: 0,
      events_30d: 0,
      events_90d: 0,
      active_days_30d: 0,
      activity_change_30d: 0,
      orders_total: 0,
      revenue_total: 0,
      days_since_last_purchase: null,
      purchase_overdue_ratio: null,
      signal_severity_30d: 0,
      journeys_stalled: 0,
      journeys_abandoned_90d: 0,
      journeys_completed_90d: 0,
    });
    expect(words.days_since_last_event).toBe('no activity yet');
    expect(words.days_since_last_purchase).toBe('no purchase yet');
    expect(words.signal_severity_30d).toBe('no friction in the last 30 days');
    expect(words.events_7d).toBe('0 events in the last 7 days');
    expect(evidence).toEqual({ signal_severity_30d: [] });
  });

  describe('point in time', () => {
    const T1 = new Date('2024-03-01T00:00:00Z');
    const T2 = new Date('2024-04-01T00:00:00Z');
    const options: FeatureOptions = { purchaseEvent: PURCHASE, events: [], signalTypes: ['rage_click'], traits: [{ name: 'plan', type: 'categorical' }] };
    const h = history({
      events: [
        identify('e1', new Date('2024-02-01T00:00:00Z'), { plan: 'basic' }),
        event('e2', new Date('2024-02-20T00:00:00Z'), PURCHASE, { revenue: 50 }),
        event('e3', new Date('2024-03-10T00:00:00Z'), PURCHASE, { revenue: 70 }),
        identify('e4', new Date('2024-03-15T00:00:00Z'), { plan: 'pro' }),
        event('e5', new Date('2024-03-20T00:00:00Z')),
      ],
      signals: [
        signal('s1', 'rage_click', 0.5, new Date('2024-02-25T00:00:00Z'), 'rage on pricing'),
        signal('s2', 'payment_failed', 0.6, new Date('2024-03-12T00:00:00Z'), 'card declined'),
      ],
      journeys: [journey('i1', 'active', new Date('2024-02-10T00:00:00Z')), journey('i1', 'stalled', new Date('2024-03-05T00:00:00Z'))],
    });

    it('ignores events, signals and journey snapshots after the date', () => {
      const { values, evidence } = buildFeatures(h, T1, options);
      expect(values).toMatchObject({
        days_since_last_event: 10,
        tenure_days: 29,
        events_30d: 2,
        orders_total: 1,
        revenue_total: 50,
        days_since_last_purchase: 10,
        signal_severity_30d: 0.5,
        'signals_30d:rage_click': 1,
        journeys_stalled: 0,
        'trait:plan': 'basic',
      });
      expect(evidence.signal_severity_30d).toEqual(['s1']);
      expect(evidence.days_since_last_purchase).toEqual(['e2']);
    });

    it('counts what happened up to a later date', () => {
      const { values, evidence } = buildFeatures(h, T2, options);
      expect(values).toMatchObject({
        days_since_last_event: 12,
        tenure_days: 60,
        events_30d: 3,
        events_90d: 5,
        orders_total: 2,
        revenue_total: 120,
        days_since_last_purchase: 22,
        signal_severity_30d: 0.6,
        'signals_30d:rage_click': 0,
        journeys_stalled: 1,
        'trait:plan': 'pro',
      });
      expect(evidence.signal_severity_30d).toEqual(['s2']);
      expect(evidence.days_since_last_purchase).toEqual(['e3']);
    });

    it('gives the same snapshot as the history cut off at the date', () => {
      for (const at of [T1, T2]) expect(buildFeatures(h, at, options)).toEqual(buildFeatures(truncate(h, at), at, options));
    });
  });

  it('counts 7/30/90-day windows as (asOf − N days, asOf], excluding the start instant and later events', () => {
    const h = history({
      events: [
        event('e90', ago(90)),
        event('e89', ago(89.9)),
        event('e30', ago(30)),
        event('e29', ago(29.9)),
        event('e7', ago(7)),
        event('e6', ago(6.9)),
        event('e0', AS_OF),
        event('future', new Date(AS_OF.getTime() + 1)),
      ],
    });
    const { values, describe: words, evidence } = buildFeatures(h, AS_OF, OPTIONS);
    expect(values.events_7d).toBe(2);
    expect(values.events_30d).toBe(4);
    expect(values.events_90d).toBe(6);
    expect(values.days_since_last_event).toBe(0);
    expect(values.tenure_days).toBe(90);
    expect(evidence.days_since_last_event).toEqual(['e0']);
    expect(words.events_7d).toBe('2 events in the last 7 days');
    expect(words.events_90d).toBe('6 events in the last 90 days');
  });

  it('counts distinct UTC days with activity in the last 30 days', () => {
    // AS_OF is 12:00 UTC: 7 and 6.9 days before fall on the same day (12:00 and 14:24)
    const h = history({ events: [event('a', ago(31)), event('b', ago(29.9)), event('c', ago(7)), event('d', ago(6.9)), event('e', AS_OF)] });
    const { values, describe: words } = buildFeatures(h, AS_OF, OPTIONS);
    expect(values.active_days_30d).toBe(3);
    expect(words.active_days_30d).toBe('active on 3 days of the last 30');
    const single = buildFeatures(history({ events: [event('a', ago(2))] }), AS_OF, OPTIONS);
    expect(single.describe.active_days_30d).toBe('active on 1 day of the last 30');
  });

  it('compares the last 30 days with the 30 before, whose window is (asOf − 60, asOf − 30]', () => {
    const h = history({
      events: [event('a', ago(60)), event('b', ago(59)), event('c', ago(45)), event('d', ago(30)), event('e', ago(10)), event('f', ago(2))],
    });
    const { values, describe: words } = buildFeatures(h, AS_OF, OPTIONS);
    expect(values.events_30d).toBe(2);
    expect(values.activity_change_30d).toBe(-1);
    expect(words.activity_change_30d).toBe('2 events in the last 30 days vs 3 in the 30 before');
  });

  it('describes silence against the usual gap between active days', () => {
    const h = history({ events: [event('a', ago(50)), event('b', ago(40)), event('c', ago(30))] });
    const { values, describe: words, evidence } = buildFeatures(h, AS_OF, OPTIONS);
    expect(values.days_since_last_event).toBe(30);
    expect(words.days_since_last_event).toBe('no activity for 30 days vs usual 10');
    expect(evidence.days_since_last_event).toEqual(['c']);
  });

  it('rounds the days since the last event to one decimal and omits the usual gap when there is none', () => {
    const { values, describe: words } = buildFeatures(history({ events: [event('a', ago(12.4))] }), AS_OF, OPTIONS);
    expect(values.days_since_last_event).toBe(12.4);
    expect(values.tenure_days).toBe(12.4);
    expect(words.days_since_last_event).toBe('no activity for 12 days');
    expect(words.tenure_days).toBe('customer for 12 days');
  });

  describe('purchases', () => {
    // distinct purchase days 116, 95, 74 days ago: usual gap 21 (three orders on day 95 count once)
    const h = history({
      events: [
        event('o1', ago(116), PURCHASE, { revenue: 19.99 }),
        event('o2', ago(95), PURCHASE, { revenue: 25.5 }),
        event('o3', ago(95 - 1 / 24), PURCHASE),
        event('o4', ago(95 - 2 / 24), PURCHASE, { revenue: 10 }),
        event('r1', ago(80), 'Refund Issued', { revenue: 100 }),
        event('o5', ago(74), PURCHASE, { revenue: 4.511 }),
        event('v1', ago(1)),
      ],
    });

    it('counts orders and sums their revenue to the cent, ignoring other events and missing revenue', () => {
      const { values, describe: words } = buildFeatures(h, AS_OF, OPTIONS);
      expect(values.orders_total).toBe(5);
      expect(values.revenue_total).toBe(60);
      expect(words.orders_total).toBe('5 orders');
      expect(words.revenue_total).toBe('60 in revenue');
    });

    it('measures days since the last purchase against the median gap of distinct purchase days', () => {
      const { values, describe: words, evidence } = buildFeatures(h, AS_OF, OPTIONS);
      expect(values.days_since_last_purchase).toBe(74);
      expect(values.purchase_overdue_ratio).toBe(3.5);
      expect(words.days_since_last_purchase).toBe('no purchase for 74 days vs usual 21');
      expect(words.purchase_overdue_ratio).toBe('no purchase for 74 days vs usual 21');
      expect(evidence.days_since_last_purchase).toEqual(['o5']);
      expect(evidence.purchase_overdue_ratio).toEqual(['o5']);
    });

    it('leaves the overdue ratio unknown after a single purchase day', () => {
      const single = history({ events: [event('o1', ago(12), PURCHASE, { revenue: 5 }), event('o2', ago(11.9), PURCHASE, { revenue: 5 })] });
      const { values, describe: words } = buildFeatures(single, AS_OF, OPTIONS);
      expect(values.orders_total).toBe(2);
      expect(values.days_since_last_purchase).toBe(11.9);
      expect(values.purchase_overdue_ratio).toBeNull();
      expect(words.days_since_last_purchase).toBe('no purchase for 12 days');
    });

    it('leaves purchase features unknown when there is no purchase', () => {
      const { values, evidence, describe: words } = buildFeatures(history({ events: [event('v1', ago(3), 'Page Viewed', { revenue: 99 })] }), AS_OF, OPTIONS);
      expect(values.orders_total).toBe(0);
      expect(values.revenue_total).toBe(0);
      expect(values.days_since_last_purchase).toBeNull();
      expect(values.purchase_overdue_ratio).toBeNull();
      expect(words.orders_total).toBe('0 orders');
      expect(evidence.days_since_last_purchase).toBeUndefined();
    });
  });

  describe('signals', () => {
    const options: FeatureOptions = { ...OPTIONS, signalTypes: ['rage_click', 'payment_failed', 'login_failure'] };
    const h = history({
      signals: [
        signal('s0', 'rage_click', 0.9, ago(31), 'old rage'),
        signal('s1', 'payment_failed', 0.9, ago(30), 'edge payment'),
        signal('s2', 'rage_click', 0.41, ago(29), 'rage on checkout'),
        signal('s3', 'payment_failed', 0.32, ago(2), 'card declined'),
        signal('s4', 'rage_click', 0.2, ago(1), 'rage on pricing'),
        signal('s5', 'rage_click', 0.9, ago(-1), 'future rage'),
      ],
    });

    it('sums the severity of signals in the last 30 days, rounded to one decimal, with their ids as evidence', () => {
      const { values, evidence, describe: words } = buildFeatures(h, AS_OF, options);
      expect(values.signal_severity_30d).toBe(0.9);
      expect(evidence.signal_severity_30d).toEqual(['s2', 's3', 's4']);
      expect(words.signal_severity_30d).toBe('rage on pricing; card declined (+1 more)');
    });

    it('counts the signals of each configured type', () => {
      const { values, evidence, describe: words } = buildFeatures(h, AS_OF, options);
      expect(values['signals_30d:rage_click']).toBe(2);
      expect(evidence['signals_30d:rage_click']).toEqual(['s2', 's4']);
      expect(words['signals_30d:rage_click']).toBe('rage on pricing; rage on checkout');
      expect(values['signals_30d:payment_failed']).toBe(1);
      expect(evidence['signals_30d:payment_failed']).toEqual(['s3']);
      expect(values['signals_30d:login_failure']).toBe(0);
      expect(evidence['signals_30d:login_failure']).toEqual([]);
      expect(words['signals_30d:login_failure']).toBe('no login failure in the last 30 days');
    });

    it('repeats a summary once in the description', () => {
      const repeated = history({
        signals: [signal('a', 'payment_failed', 0.2, ago(3), 'card declined'), signal('b', 'payment_failed', 0.2, ago(2), 'card declined')],
      });
      const { values, describe: words } = buildFeatures(repeated, AS_OF, options);
      expect(values.signal_severity_30d).toBe(0.4);
      expect(words.signal_severity_30d).toBe('card declined');
    });
  });

  it('counts journeys by their latest state as of the date', () => {
    const h = history({
      journeys: [
        journey('j3', 'abandoned', ago(100)),
        journey('j6', 'completed', ago(90)),
        journey('j4', 'abandoned', ago(89)),
        journey('j1', 'active', ago(20)),
        journey('j2', 'stalled', ago(10)),
        journey('j1', 'stalled', ago(5)),
        journey('j2', 'completed', ago(3)),
        journey('j5', 'stalled', ago(2)),
        journey('j5', 'completed', ago(-1)),
      ],
    });
    const { values, describe: words } = buildFeatures(h, AS_OF, OPTIONS);
    // stalled: j1, j5 (its completion is after the date); abandoned in 90 days: j4 (j3 is older);
    // completed in 90 days: j2 (j6 is exactly 90 days old)
    expect(values.journeys_stalled).toBe(2);
    expect(values.journeys_abandoned_90d).toBe(1);
    expect(values.journeys_completed_90d).toBe(1);
    expect(words.journeys_stalled).toBe('2 journeys stalled now');
    expect(words.journeys_abandoned_90d).toBe('1 journey abandoned in the last 90 days');
    expect(words.journeys_completed_90d).toBe('1 journey completed in the last 90 days');
  });

  it('takes the latest snapshot of an instance by observedAt', () => {
    const h = history({ journeys: [journey('j1', 'stalled', ago(1)), journey('j1', 'active', ago(5))] });
    expect(buildFeatures(h, AS_OF, OPTIONS).values.journeys_stalled).toBe(1);
  });

  describe('traits', () => {
    const options: FeatureOptions = {
      ...OPTIONS,
      traits: [
        { name: 'plan', type: 'categorical' },
        { name: 'seats', type: 'numeric' },
        { name: 'arr', type: 'numeric' },
        { name: 'beta', type: 'categorical' },
        { name: 'score', type: 'numeric' },
        { name: 'mrr', type: 'numeric' },
        { name: 'tier', type: 'categorical' },
        { name: 'company', type: 'categorical' },
      ],
    };
    const h = history({
      events: [
        identify('i1', ago(40), { plan: 'basic', seats: '5', arr: ' 1200.50 ', beta: true, score: 'high', mrr: '' }),
        event('v1', ago(30), 'Page Viewed', { traits: null }),
        identify('i2', ago(10), { plan: 'pro', seats: 12, tier: 3 }),
        identify('i3', ago(-1), { plan: 'enterprise', seats: 50 }),
      ],
    });

    it('takes the last value written up to the date', () => {
      const { values, describe: words } = buildFeatures(h, AS_OF, options);
      expect(values['trait:plan']).toBe('pro');
      expect(values['trait:seats']).toBe(12);
      expect(words['trait:plan']).toBe('plan is pro');
    });

    it('takes the value as it was at an earlier date, parsing numeric strings', () => {
      const { values } = buildFeatures(h, ago(20), options);
      expect(values['trait:plan']).toBe('basic');
      expect(values['trait:seats']).toBe(5);
      expect(values['trait:tier']).toBeNull();
    });

    it('parses padded numeric strings and leaves non-numeric or empty strings unknown', () => {
      const { values } = buildFeatures(h, AS_OF, options);
      expect(values['trait:arr']).toBe(1200.5);
      expect(values['trait:score']).toBeNull();
      expect(values['trait:mrr']).toBeNull();
    });

    it('stringifies categorical values and leaves absent traits unknown', () => {
      const { values, describe: words } = buildFeatures(h, AS_OF, options);
      expect(values['trait:beta']).toBe('true');
      expect(values['trait:tier']).toBe('3');
      expect(values['trait:company']).toBeNull();
      expect(words['trait:company']).toBe('company is unknown');
    });
  });

  it('counts each configured event name over the last 30 days', () => {
    const options: FeatureOptions = { ...OPTIONS, events: ['Page Viewed', PURCHASE, 'Never Seen'] };
    const h = history({
      events: [event('a', ago(31)), event('b', ago(20)), event('c', ago(5), PURCHASE), event('d', ago(3)), event('e', ago(-1))],
    });
    const { values, describe: words } = buildFeatures(h, AS_OF, options);
    expect(values['events_30d:Page Viewed']).toBe(2);
    expect(values[`events_30d:${PURCHASE}`]).toBe(1);
    expect(values['events_30d:Never Seen']).toBe(0);
    expect(words['events_30d:Page Viewed']).toBe('2 "Page Viewed" events in the last 30 days');
    expect(words[`events_30d:${PURCHASE}`]).toBe('1 "Order Completed" event in the last 30 days');
  });
});
