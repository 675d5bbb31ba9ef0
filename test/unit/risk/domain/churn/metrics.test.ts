import { evaluateClassifier, splitHoldout } from '../../../../../subgraphs/risk/domain/churn/metrics';

describe('evaluateClassifier', () => {
  // positives score {0.9, 0.7, 0.3}, negatives {0.8, 0.7, 0.1}: of 9 pairs, 5 are ordered right and 1 is tied
  const labels: (0 | 1)[] = [1, 0, 1, 0, 1, 0];
  const scores = [0.9, 0.8, 0.7, 0.7, 0.3, 0.1];

  it('computes ROC AUC by ranks, counting a tied pair as ½', () => {
    expect(evaluateClassifier(labels, scores).rocAuc).toBeCloseTo(5.5 / 9, 12);
  });

  it('gives AUC 1 for perfect scores, 0 for inverted ones and ½ when all scores tie', () => {
    const y: (0 | 1)[] = [0, 0, 1, 1, 0, 1];
    const perfect = [0.1, 0.2, 0.8, 0.9, 0.3, 0.7];
    expect(evaluateClassifier(y, perfect).rocAuc).toBe(1);
    expect(evaluateClassifier(y, perfect.map((p) => 1 - p)).rocAuc).toBe(0);
    expect(evaluateClassifier(y, y.map(() => 0.4)).rocAuc).toBe(0.5);
    expect(evaluateClassifier(y, perfect).prAuc).toBe(1);
  });

  it('returns NaN for AUC when only one class is present', () => {
    const metrics = evaluateClassifier([0, 0, 0], [0.1, 0.5, 0.9]);
    expect(metrics.rocAuc).toBeNaN();
    expect(metrics.prAuc).toBeNaN();
    expect(metrics.liftTopDecile).toBeNaN();
    expect(evaluateClassifier([1, 1], [0.2, 0.6]).rocAuc).toBeNaN();
  });

  it('computes average precision once per distinct score', () => {
    // thresholds 0.9: P = 1, recall +1/3; 0.7 (tie): P = 2/4, +1/3; 0.3: P = 3/5, +1/3
    expect(evaluateClassifier(labels, scores).prAuc).toBeCloseTo(1 / 3 + 1 / 6 + 1 / 5, 12);
  });

  it('computes log loss and Brier score, clipping probabilities at 1e-15', () => {
    const metrics = evaluateClassifier([1, 0], [0.8, 0.4]);
    expect(metrics.logLoss).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 12);
    expect(metrics.logLoss).toBeCloseTo(0.36698458755, 10);
    expect(metrics.brier).toBeCloseTo(0.1, 12);
    const clipped = evaluateClassifier([1, 0], [0, 1]);
    expect(clipped.logLoss).toBeCloseTo(-Math.log(1e-15), 6);
    expect(clipped.brier).toBe(1);
  });

  it('counts rows, positives and the positive rate', () => {
    expect(evaluateClassifier(labels, scores)).toMatchObject({ rows: 6, positives: 3, negatives: 3, positiveRate: 0.5 });
  });

  it('computes lift as the top-decile positive rate over the overall rate', () => {
    const y: (0 | 1)[] = Array.from({ length: 20 }, (_, i) => (i < 2 || i === 10 || i === 15 || i === 19 ? 1 : 0));
    const p = y.map((_, i) => 1 - i / 20); // row 0 scores highest; top 2 rows are both positive
    expect(evaluateClassifier(y, p).liftTopDecile).toBeCloseTo(1 / 0.25, 12);
  });

  it('uses at least one row for lift and counts a tie at the cut at its mean rate', () => {
    const y: (0 | 1)[] = [1, 0, 0, 0, 1];
    expect(evaluateClassifier(y, [0.9, 0.5, 0.4, 0.3, 0.2]).liftTopDecile).toBeCloseTo(1 / 0.4, 12);
    expect(evaluateClassifier(y, [0.9, 0.9, 0.4, 0.3, 0.2]).liftTopDecile).toBeCloseTo(0.5 / 0.4, 12);
  });

  it('bins calibration in equal widths over [0, 1], omitting empty bins and putting 1 in the last bin', () => {
    const calibration = evaluateClassifier([0, 1, 0, 1, 1], [0.05, 0.15, 0.12, 0.95, 1]).calibration;
    expect(calibration).toHaveLength(3);
    expect(calibration[0]).toEqual({ lower: 0, upper: 0.1, count: 1, meanPredicted: 0.05, observedRate: 0 });
    expect(calibration[1]).toMatchObject({ lower: 0.1, upper: 0.2, count: 2, observedRate: 0.5 });
    expect(calibration[1].meanPredicted).toBeCloseTo(0.135, 12);
    expect(calibration[2]).toMatchObject({ lower: 0.9, upper: 1, count: 2, observedRate: 1 });
    expect(calibration[2].meanPredicted).toBeCloseTo(0.975, 12);
    expect(evaluateClassifier([0, 1], [0.3, 0.6], 2).calibration.map((bin) => [bin.lower, bin.upper])).toEqual([
      [0, 0.5],
      [0.5, 1],
    ]);
  });

  it('returns a JSON-serialisable plain object', () => {
    const metrics = evaluateClassifier(labels, scores);
    expect(JSON.parse(JSON.stringify(metrics))).toEqual(metrics);
  });

  it.each<[string, (0 | 1)[], number[], number]>([
    ['no rows', [], [], 10],
    ['mismatched lengths', [0, 1], [0.5], 10],
    ['a label other than 0/1', [0, 2 as 1], [0.5, 0.5], 10],
    ['a probability above 1', [0, 1], [0.5, 1.2], 10],
    ['a NaN probability', [0, 1], [0.5, Number.NaN], 10],
    ['zero bins', [0, 1], [0.5, 0.5], 0],
    ['fractional bins', [0, 1], [0.5, 0.5], 2.5],
  ])('throws a RangeError for %s', (_, y, p, bins) => {
    expect(() => evaluateClassifier(y, p, bins)).toThrow(RangeError);
  });
});

describe('splitHoldout', () => {
  const items = Array.from({ length: 100 }, (_, i) => ({ id: i, label: (i % 5 === 0 ? 1 : 0) as 0 | 1 }));

  it('splits the same way for the same seed and differently for another seed', () => {
    const a = splitHoldout(items, 0.3, 42);
    const b = splitHoldout(items, 0.3, 42);
    const c = splitHoldout(items, 0.3, 43);
    expect(a).toEqual(b);
    expect(c.holdout.map((item) => item.id)).not.toEqual(a.holdout.map((item) => item.id));
    expect(a.holdout).toHaveLength(30);
  });

  it('partitions the items and keeps the input order on both sides', () => {
    const { train, holdout } = splitHoldout(items, 0.25, 7);
    expect(train.length + holdout.length).toBe(items.length);
    expect([...train, ...holdout].map((item) => item.id).sort((x, y) => x - y)).toEqual(items.map((item) => item.id));
    for (const side of [train, holdout]) {
      const ids = side.map((item) => item.id);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
    }
  });

  it('stratifies by label: each class contributes round(fraction × classSize) to the holdout', () => {
    // 20 positives, 80 negatives; 0.33 → round(6.6) = 7 positives and round(26.4) = 26 negatives
    for (const seed of [1, 2, 3]) {
      const { train, holdout } = splitHoldout(items, 0.33, seed, (item) => item.label);
      expect(holdout.filter((item) => item.label === 1)).toHaveLength(7);
      expect(holdout.filter((item) => item.label === 0)).toHaveLength(26);
      expect(train).toHaveLength(67);
    }
  });

  it('handles the edge fractions 0 and 1 and empty input', () => {
    expect(splitHoldout(items, 0, 1).holdout).toHaveLength(0);
    expect(splitHoldout(items, 1, 1).train).toHaveLength(0);
    expect(splitHoldout([], 0.5, 1)).toEqual({ train: [], holdout: [] });
  });

  it('throws a RangeError for a fraction outside [0, 1], a fractional seed or a bad label', () => {
    expect(() => splitHoldout(items, 1.5, 1)).toThrow(RangeError);
    expect(() => splitHoldout(items, Number.NaN, 1)).toThrow(RangeError);
    expect(() => splitHoldout(items, 0.5, 1.5)).toThrow(RangeError);
    expect(() => splitHoldout(items, 0.5, 1, () => 3 as 1)).toThrow(RangeError);
  });
});
