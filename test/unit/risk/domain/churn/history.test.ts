import { DAY_MS, daysBetween, distinctDays, medianGapDays } from '../../../../../subgraphs/risk/domain/churn/history';

describe('daysBetween', () => {
  it('returns the fractional number of days from the first date to the second', () => {
    expect(daysBetween(new Date('2024-01-01T00:00:00Z'), new Date('2024-01-03T12:00:00Z'))).toBe(2.5);
  });

  it('is negative when the second date is earlier', () => {
    expect(daysBetween(new Date('2024-01-03T12:00:00Z'), new Date('2024-01-01T00:00:00Z'))).toBe(-2.5);
  });

  it('returns 0 for the same instant', () => {
    const t = new Date('2024-05-05T05:05:05Z');
    expect(daysBetween(t, new Date(t.getTime()))).toBe(0);
  });
});

describe('distinctDays', () => {
  it('returns an empty list for no times', () => {
    expect(distinctDays([])).toEqual([]);
  });

  it('counts several times on one UTC day once, as floor(ms / DAY_MS)', () => {
    const days = distinctDays([new Date('2024-01-02T00:00:00Z'), new Date('2024-01-02T13:00:00Z'), new Date('2024-01-02T23:59:59.999Z')]);
    expect(days).toEqual([Date.UTC(2024, 0, 2) / DAY_MS]);
  });

  it('splits days at UTC midnight, not at local midnight', () => {
    // 23:30 at UTC−5 on Jan 1 is 04:30 UTC on Jan 2
    const days = distinctDays([new Date('2024-01-01T23:30:00-05:00'), new Date('2024-01-02T00:01:00Z'), new Date('2024-01-01T23:59:00Z')]);
    expect(days).toEqual([Date.UTC(2024, 0, 1) / DAY_MS, Date.UTC(2024, 0, 2) / DAY_MS]);
  });

  it('sorts the days ascending whatever the order of the input', () => {
    const days = distinctDays([new Date('2024-03-10T10:00:00Z'), new Date('2024-01-05T10:00:00Z'), new Date('2024-02-01T10:00:00Z')]);
    expect(days).toEqual([Date.UTC(2024, 0, 5), Date.UTC(2024, 1, 1), Date.UTC(2024, 2, 10)].map((ms) => ms / DAY_MS));
  });
});

describe('medianGapDays', () => {
  it('returns null with fewer than two days', () => {
    expect(medianGapDays([])).toBeNull();
    expect(medianGapDays([19000])).toBeNull();
  });

  it('returns the single gap between two days', () => {
    expect(medianGapDays([100, 103])).toBe(3);
  });

  it('returns the middle gap of an odd number of gaps', () => {
    // gaps 1, 10, 2 → sorted 1, 2, 10
    expect(medianGapDays([0, 1, 11, 13])).toBe(2);
  });

  it('returns the mean of the two middle gaps of an even number of gaps', () => {
    // gaps 2, 8, 1, 9 → sorted 1, 2, 8, 9
    expect(medianGapDays([0, 2, 10, 11, 20])).toBe(5);
  });

  it('does not reorder the input', () => {
    const days = [0, 2, 10, 11, 20];
    medianGapDays(days);
    expect(days).toEqual([0, 2, 10, 11, 20]);
  });
});
