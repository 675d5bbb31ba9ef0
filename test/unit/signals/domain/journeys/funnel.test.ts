import { funnelSteps, medianRows, middleMean, shareOf } from '../../../../../subgraphs/signals/domain/journeys/funnel';

const KEYS = ['start', 'upload', 'verify', 'done'];

describe('funnelSteps', () => {
  it('counts a step as reached by every instance whose furthest step is at or past it', () => {
    // 10 entered: 4 stopped at start, 1 at upload, 2 at verify, 3 done
    const steps = funnelSteps(KEYS, 10, new Map([[0, 4], [1, 1], [2, 2], [3, 3]]));
    expect(steps.map((s) => s.reached)).toEqual([10, 6, 5, 3]);
    expect(steps.map((s) => s.conversion)).toEqual([1, 0.6, 5 / 6, 3 / 5]);
    expect(steps.map((s) => s.conversionFromStart)).toEqual([1, 0.6, 0.5, 0.3]);
    expect(steps.map((s) => s.key)).toEqual(KEYS);
  });

  it('counts a skipped step as passed', () => {
    // nobody's furthest step is upload, but those at verify passed it
    const steps = funnelSteps(KEYS, 3, new Map([[0, 1], [2, 2]]));
    expect(steps.map((s) => s.reached)).toEqual([3, 2, 2, 0]);
    expect(steps[2].conversion).toBe(1);
  });

  it('converts nothing from an empty cohort', () => {
    expect(funnelSteps(KEYS, 0, new Map())).toEqual(KEYS.map((key) => ({ key, reached: 0, conversion: 0, conversionFromStart: 0 })));
  });

  it('gives 0 conversion after a step nobody reached', () => {
    const steps = funnelSteps(KEYS, 2, new Map([[0, 2]]));
    expect(steps.slice(1).map((s) => s.conversion)).toEqual([0, 0, 0]);
  });
});

describe('shareOf', () => {
  it.each([
    [3, 4, 0.75],
    [0, 4, 0],
    [5, 0, 0],
  ])('%d of %d is %d', (part, whole, share) => {
    expect(shareOf(part, whole)).toBe(share);
  });
});

describe('medianRows', () => {
  it.each([
    [1, { offset: 0, limit: 1 }],
    [2, { offset: 0, limit: 2 }],
    [5, { offset: 2, limit: 1 }],
    [6, { offset: 2, limit: 2 }],
  ])('reads the middle of %d sorted values', (n, rows) => {
    expect(medianRows(n)).toEqual(rows);
  });

  it('agrees with the median of the sorted values', () => {
    for (let n = 1; n <= 9; n++) {
      const sorted = Array.from({ length: n }, (_, i) => i * i);
      const { offset, limit } = medianRows(n);
      const middle = middleMean(sorted.slice(offset, offset + limit));
      const expected = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
      expect(middle).toBe(expected);
    }
  });

  it('rejects a count below 1', () => {
    expect(() => medianRows(0)).toThrow(RangeError);
    expect(() => middleMean([])).toThrow(RangeError);
  });
});
