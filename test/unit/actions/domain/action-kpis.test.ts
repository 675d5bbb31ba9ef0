import { nearestRank, signalToFirstActionKpi } from '../../../../subgraphs/actions/domain/action-kpis';

describe('nearestRank', () => {
  it.each([
    [[1, 2, 3, 4], 0.5, 2],
    [[1, 2, 3, 4, 5], 0.5, 3],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9, 9],
    [[5], 0.9, 5],
    [[1, 2, 3], 1, 3],
  ])('of %p at %p is %p', (values, p, expected) => {
    expect(nearestRank(values, p)).toBe(expected);
  });

  it('refuses no values and a p outside (0, 1]', () => {
    expect(() => nearestRank([], 0.5)).toThrow(RangeError);
    expect(() => nearestRank([1], 0)).toThrow('nearestRank: p must be in (0, 1] (p=0)');
  });
});

describe('signalToFirstActionKpi', () => {
  it('sorts the waits before taking p50 and p90', () => {
    const waits = Array.from({ length: 40 }, (_, i) => (40 - i) * 1000);
    expect(signalToFirstActionKpi(waits)).toEqual({ count: 40, p50Ms: 20_000, p90Ms: 36_000, sampleNote: null });
  });
});
