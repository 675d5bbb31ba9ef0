import { buildFeatures, type FeatureOptions } from '../../../../../subgraphs/risk/domain/churn/features';
import { DAY_MS, type HistoryEvent, type ProfileHistory } from '../../../../../subgraphs/risk/domain/churn/history';
import {
  buildTrainingSet,
  labelAt,
  labelHorizonDays,
  snapshotDates,
  validateLabel,
  type LabelDefinition,
} from '../../../../../subgraphs/risk/domain/churn/training-set';

const S = new Date('2024-06-01T00:00:00.000Z');
const DATA_END = new Date('2024-12-31T00:00:00.000Z');
const PURCHASE = 'Order Completed';
const CANCEL = 'Subscription Cancelled';
const OPTIONS: FeatureOptions = { purchaseEvent: PURCHASE, events: [], signalTypes: ['rage_click'], traits: [{ name: 'plan', type: 'categorical' }] };

const CANCELS_IN_30: LabelDefinition = { kind: 'event', event: CANCEL, withinDays: 30 };
const INACTIVE_30: LabelDefinition = { kind: 'inactivity', days: 30, activity: 'any' };
const NO_PURCHASE_30: LabelDefinition = { kind: 'inactivity', days: 30, activity: 'purchase' };

/** `days` days after S (negative: before it), plus `ms` milliseconds. */
const plus = (days: number, ms = 0) => new Date(S.getTime() + days * DAY_MS + ms);
const event = (id: string, timestamp: Date, name = 'Page Viewed'): HistoryEvent => ({ id, type: 'track', name, timestamp, revenue: null });
const history = (events: HistoryEvent[], profileId = 'p1'): ProfileHistory => ({ profileId, events, signals: [], journeys: [] });

describe('labelHorizonDays', () => {
  it('is withinDays for an event label and days for an inactivity label', () => {
    expect(labelHorizonDays({ kind: 'event', event: CANCEL, withinDays: 45 })).toBe(45);
    expect(labelHorizonDays({ kind: 'inactivity', days: 60, activity: 'any' })).toBe(60);
  });
});

describe('validateLabel', () => {
  it('accepts a positive window and a named event', () => {
    expect(() => validateLabel(CANCELS_IN_30)).not.toThrow();
    expect(() => validateLabel(NO_PURCHASE_30)).not.toThrow();
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY])('rejects a window of %p days', (days) => {
    expect(() => validateLabel({ kind: 'inactivity', days, activity: 'any' })).toThrow(RangeError);
    expect(() => validateLabel({ kind: 'event', event: CANCEL, withinDays: days })).toThrow(RangeError);
  });

  it('rejects a blank event name', () => {
    expect(() => validateLabel({ kind: 'event', event: '  ', withinDays: 30 })).toThrow(RangeError);
  });
});

describe('snapshotDates', () => {
  it('spaces the dates evenly, ascending, the last one a full label window before dataEnd', () => {
    const dates = snapshotDates(DATA_END, INACTIVE_30, 14, 4);
    expect(dates.map((d) => d.toISOString())).toEqual([
      '2024-10-20T00:00:00.000Z',
      '2024-11-03T00:00:00.000Z',
      '2024-11-17T00:00:00.000Z',
      '2024-12-01T00:00:00.000Z',
    ]);
  });

  it('uses the event window of an event label', () => {
    const [last] = snapshotDates(DATA_END, { kind: 'event', event: CANCEL, withinDays: 7 }, 30, 1);
    expect(last.toISOString()).toBe('2024-12-24T00:00:00.000Z');
  });

  it('gives dates whose labels are all observed', () => {
    const h = history([event('a', new Date('2024-01-01T00:00:00Z')), event('b', new Date('2024-12-30T00:00:00Z'))]);
    for (const snapshot of snapshotDates(DATA_END, CANCELS_IN_30, 7, 10)) expect(labelAt(h, snapshot, CANCELS_IN_30, DATA_END, PURCHASE)).toBe(0);
  });

  it('returns no dates for a count of 0', () => {
    expect(snapshotDates(DATA_END, INACTIVE_30, 7, 0)).toEqual([]);
  });
});

describe('labelAt', () => {
  describe('event label', () => {
    const label = (events: HistoryEvent[], dataEnd = DATA_END) => labelAt(history(events), S, CANCELS_IN_30, dataEnd, PURCHASE);

    it('is 1 when the event happens in (s, s + H], including the last instant', () => {
      expect(label([event('a', plus(-5)), event('c', plus(0, 1), CANCEL)])).toBe(1);
      expect(label([event('a', plus(-5)), event('c', plus(30), CANCEL)])).toBe(1);
    });

    it('is 0 when the event does not happen within the window', () => {
      expect(label([event('a', plus(-5)), event('b', plus(3))])).toBe(0);
      expect(label([event('a', plus(-5)), event('c', plus(30, 1), CANCEL)])).toBe(0);
    });

    it('is null when the window runs past dataEnd, and observed when it ends exactly at dataEnd', () => {
      const events = [event('a', plus(-5)), event('c', plus(10), CANCEL)];
      expect(label(events, plus(29))).toBeNull();
      expect(label(events, plus(30))).toBe(1);
    });

    it('is null when the profile had no activity by the snapshot', () => {
      expect(label([event('a', plus(1)), event('c', plus(10), CANCEL)])).toBeNull();
    });

    it('is null when the profile had already performed the event by the snapshot', () => {
      expect(label([event('a', plus(-20)), event('c', plus(-10), CANCEL), event('c2', plus(10), CANCEL)])).toBeNull();
      expect(label([event('a', plus(-20)), event('c', S, CANCEL)])).toBeNull();
    });
  });

  describe('inactivity label (any activity)', () => {
    const label = (events: HistoryEvent[]) => labelAt(history(events), S, INACTIVE_30, DATA_END, PURCHASE);

    it('is 1 when nothing happens in the window', () => {
      expect(label([event('a', plus(-5))])).toBe(1);
      expect(label([event('a', plus(-5)), event('b', plus(30, 1))])).toBe(1);
    });

    it('is 0 when any event happens in the window', () => {
      expect(label([event('a', plus(-5)), event('b', plus(10), 'Support Ticket')])).toBe(0);
      expect(label([event('a', plus(-5)), event('b', plus(30))])).toBe(0);
    });

    it('is null when the profile had already been inactive for a whole window before the snapshot', () => {
      expect(label([event('a', plus(-30)), event('b', plus(5))])).toBeNull();
      expect(label([event('a', plus(-30, 1)), event('b', plus(5))])).toBe(0);
    });

    it('is null when the profile was never active by the snapshot', () => {
      expect(label([event('a', plus(5))])).toBeNull();
    });

    it('is null when the window runs past dataEnd', () => {
      expect(labelAt(history([event('a', plus(-1))]), S, INACTIVE_30, plus(20), PURCHASE)).toBeNull();
    });
  });

  describe('inactivity label (purchases)', () => {
    const label = (events: HistoryEvent[]) => labelAt(history(events), S, NO_PURCHASE_30, DATA_END, PURCHASE);

    it('is 1 when the customer does not purchase in the window, however active', () => {
      expect(label([event('o', plus(-10), PURCHASE), event('v', plus(5)), event('v2', plus(20))])).toBe(1);
    });

    it('is 0 when the customer purchases in the window', () => {
      expect(label([event('o', plus(-10), PURCHASE), event('o2', plus(20), PURCHASE)])).toBe(0);
    });

    it('is null when the profile never purchased by the snapshot', () => {
      expect(label([event('v', plus(-10)), event('o', plus(5), PURCHASE)])).toBeNull();
    });

    it('is null when the last purchase is a whole window before the snapshot, even with recent activity', () => {
      expect(label([event('o', plus(-45), PURCHASE), event('v', plus(-1)), event('o2', plus(5), PURCHASE)])).toBeNull();
    });
  });
});

describe('buildTrainingSet', () => {
  const churner = history(
    [event('a1', plus(-20)), event('a2', plus(-10), PURCHASE), event('a3', plus(-3)), event('a4', plus(20)), event('a5', plus(40), CANCEL)],
    'churner',
  );
  const stayer = history(
    Array.from({ length: 13 }, (_, i) => event(`b${i}`, plus(-20 + 10 * i))),
    'stayer',
  );
  const newcomer = history([event('c1', plus(50)), event('c2', plus(55))], 'newcomer');
  const snapshots = [S, plus(30), plus(60)];

  it('keeps one row per eligible profile and snapshot, with its label', () => {
    const rows = buildTrainingSet([churner, stayer, newcomer], CANCELS_IN_30, snapshots, DATA_END, OPTIONS);
    expect(rows.map((r) => [r.profileId, r.snapshot.toISOString(), r.label])).toEqual([
      ['churner', S.toISOString(), 0],
      ['churner', plus(30).toISOString(), 1],
      ['stayer', S.toISOString(), 0],
      ['stayer', plus(30).toISOString(), 0],
      ['stayer', plus(60).toISOString(), 0],
      ['newcomer', plus(60).toISOString(), 0],
    ]);
  });

  it('uses the features as of the snapshot', () => {
    const histories = [churner, stayer, newcomer];
    const rows = buildTrainingSet(histories, CANCELS_IN_30, snapshots, DATA_END, OPTIONS);
    for (const row of rows) {
      const h = histories.find((x) => x.profileId === row.profileId)!;
      expect(row.features).toEqual(buildFeatures(h, row.snapshot, OPTIONS).values);
    }
    expect(rows[0].features.events_90d).toBe(3);
  });

  it('does not let anything after the snapshot change the features', () => {
    const later: ProfileHistory = {
      profileId: 'churner',
      events: [
        ...churner.events,
        { id: 'x1', type: 'track', name: PURCHASE, timestamp: plus(45), revenue: 500, traits: null },
        { id: 'x2', type: 'identify', name: null, timestamp: plus(46), revenue: null, traits: { plan: 'enterprise' } },
      ],
      signals: [{ id: 'sx', type: 'rage_click', severity: 0.9, detectedAt: plus(1), summary: 'rage' }],
      journeys: [{ instanceId: 'j', journeyName: 'onboarding', state: 'stalled', observedAt: plus(2) }],
    };
    const [plain] = buildTrainingSet([churner], CANCELS_IN_30, [S], DATA_END, OPTIONS);
    const [busy] = buildTrainingSet([later], CANCELS_IN_30, [S], DATA_END, OPTIONS);
    expect(busy.features).toEqual(plain.features);
    const [afterwards] = buildTrainingSet([later], CANCELS_IN_30, [plus(50)], DATA_END, OPTIONS);
    expect(afterwards).toBeUndefined(); // already cancelled by then
    const [laterRow] = buildTrainingSet([later], INACTIVE_30, [plus(50)], DATA_END, OPTIONS);
    expect(laterRow.features).not.toEqual(plain.features);
  });

  it('rejects an invalid label', () => {
    expect(() => buildTrainingSet([churner], { kind: 'event', event: CANCEL, withinDays: 0 }, [S], DATA_END, OPTIONS)).toThrow(RangeError);
  });
});
