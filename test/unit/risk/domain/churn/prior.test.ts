import { DAY_MS, type HistoryEvent, type HistorySignal, type ProfileHistory } from '../../../../../subgraphs/risk/domain/churn/history';
import {
  PRIOR_BASE_RATE,
  SIGNAL_DECAY_DAYS,
  SIGNAL_WEIGHT,
  SILENCE_WEIGHT,
  scorePrior,
} from '../../../../../subgraphs/risk/domain/churn/prior';

const NOW = new Date('2024-06-30T00:00:00.000Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY_MS);
const logit = (p: number) => Math.log(p / (1 - p));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Events `daysAgo` days before NOW, oldest first. */
const eventsAt = (...daysAgo: number[]): HistoryEvent[] =>
  daysAgo.map((d, i) => ({ id: `e${i}`, type: 'track', name: 'Page Viewed', timestamp: ago(d), revenue: null }));
const signal = (id: string, type: string, severity: number, daysAgo: number, summary = id): HistorySignal => ({
  id,
  type,
  severity,
  detectedAt: ago(daysAgo),
  summary,
});
const history = (events: HistoryEvent[], signals: HistorySignal[] = []): ProfileHistory => ({ profileId: 'p1', events, signals, journeys: [] });

describe('scorePrior', () => {
  it('scores the base rate for a customer with no signals on their usual rhythm', () => {
    const score = scorePrior(history(eventsAt(31, 24, 17, 10, 3)), NOW);
    expect(score.factors).toEqual([]);
    expect(score.baselineProbability).toBe(PRIOR_BASE_RATE);
    expect(score.probability).toBeCloseTo(PRIOR_BASE_RATE, 15);
  });

  it('adds no silence factor when silent exactly as long as usual', () => {
    expect(scorePrior(history(eventsAt(21, 14, 7)), NOW).factors).toEqual([]);
  });

  it('adds no silence factor without a usual gap', () => {
    expect(scorePrior(history(eventsAt(200)), NOW).factors).toEqual([]);
    expect(scorePrior(history([]), NOW).factors).toEqual([]);
  });

  it('adds SILENCE_WEIGHT × ln(silent / usual) when silent longer than the usual gap', () => {
    const score = scorePrior(history(eventsAt(35, 28, 21)), NOW);
    expect(score.factors).toHaveLength(1);
    const [silence] = score.factors;
    expect(silence.factor).toBe('days_since_last_event');
    expect(silence.contribution).toBeCloseTo(SILENCE_WEIGHT * Math.log(3), 12);
    expect(silence.description).toBe('no activity for 21 days vs usual 7');
    expect(silence.evidence).toEqual(['e2']);
    expect(score.probability).toBeCloseTo(sigmoid(logit(PRIOR_BASE_RATE) + SILENCE_WEIGHT * Math.log(3)), 12);
  });

  it('ignores events after the scoring date', () => {
    const events = [...eventsAt(35, 28, 21), { id: 'later', type: 'track', name: 'Page Viewed', timestamp: ago(-2), revenue: null }];
    expect(scorePrior(history(events), NOW).factors.map((f) => f.evidence)).toEqual([['e2']]);
  });

  it('ignores signals 30 days old or older, and signals after the scoring date', () => {
    const events = eventsAt(10, 3);
    const score = scorePrior(history(events, [signal('old', 'rage_click', 1, 31), signal('edge', 'rage_click', 1, 30), signal('future', 'rage_click', 1, -1)]), NOW);
    expect(score.factors).toEqual([]);
    const recent = scorePrior(history(events, [signal('edge', 'rage_click', 1, 30), signal('in', 'rage_click', 1, 29.5)]), NOW);
    expect(recent.factors.map((f) => f.evidence)).toEqual([['in']]);
  });

  it('weighs a fresh signal at SIGNAL_WEIGHT × severity', () => {
    const [factor] = scorePrior(history(eventsAt(10, 3), [signal('s', 'rage_click', 0.5, 0)]), NOW).factors;
    expect(factor.factor).toBe('signals_30d:rage_click');
    expect(factor.contribution).toBeCloseTo(SIGNAL_WEIGHT * 0.5, 15);
  });

  it('decays a signal by e^−1 every SIGNAL_DECAY_DAYS (14) days', () => {
    expect(SIGNAL_DECAY_DAYS).toBe(14);
    const fresh = scorePrior(history(eventsAt(10, 3), [signal('s', 'rage_click', 0.5, 0)]), NOW).factors[0].contribution;
    const old = scorePrior(history(eventsAt(10, 3), [signal('s', 'rage_click', 0.5, 14)]), NOW).factors[0].contribution;
    expect(Math.abs(old / fresh - Math.exp(-1))).toBeLessThan(1e-12);
  });

  describe('with several signals and silence', () => {
    const h = history(eventsAt(35, 28, 21), [
      signal('s1', 'rage_click', 0.4, 10, 'rage A'),
      signal('s2', 'rage_click', 0.3, 5, 'rage B'),
      signal('s4', 'payment_failed', 0.9, 2, 'card declined'),
      signal('s3', 'rage_click', 0.2, 1, 'rage C'),
    ]);
    const score = scorePrior(h, NOW);
    const byName = Object.fromEntries(score.factors.map((f) => [f.factor, f]));

    it('sums the decayed severities of each type into one factor, with the signal ids as evidence', () => {
      const decay = (days: number) => Math.exp(-days / 14);
      expect(byName['signals_30d:rage_click'].contribution).toBeCloseTo(SIGNAL_WEIGHT * (0.4 * decay(10) + 0.3 * decay(5) + 0.2 * decay(1)), 12);
      expect(byName['signals_30d:rage_click'].evidence).toEqual(['s1', 's2', 's3']);
      expect(byName['signals_30d:payment_failed'].contribution).toBeCloseTo(SIGNAL_WEIGHT * 0.9 * decay(2), 12);
      expect(byName['signals_30d:payment_failed'].evidence).toEqual(['s4']);
    });

    it('describes a type by its latest two summaries and how many more', () => {
      expect(byName['signals_30d:rage_click'].description).toBe('rage C; rage B (+1 more)');
      expect(byName['signals_30d:payment_failed'].description).toBe('card declined');
    });

    it('makes the contributions add up to logit(p) − logit(base)', () => {
      const sum = score.factors.reduce((total, f) => total + f.contribution, 0);
      expect(Math.abs(sum - (logit(score.probability) - logit(PRIOR_BASE_RATE)))).toBeLessThan(1e-12);
      expect(score.probability).toBeGreaterThan(PRIOR_BASE_RATE);
    });

    it('sorts the factors by |contribution|, largest first', () => {
      // payment 1.2·0.9·e^(−1/7) ≈ 0.94 > silence 0.8·ln 3 ≈ 0.88 > rage ≈ 0.71
      expect(score.factors.map((f) => f.factor)).toEqual(['signals_30d:payment_failed', 'days_since_last_event', 'signals_30d:rage_click']);
      const sizes = score.factors.map((f) => Math.abs(f.contribution));
      expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    });
  });
});
