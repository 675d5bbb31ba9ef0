import { AppError } from '../../../subgraphs/common/errors';
import { kpiPeriodOf } from '../../../subgraphs/common/kpi-period';

describe('kpiPeriodOf', () => {
  it('accepts a period of up to 366 days, from dates or from a representation’s strings', () => {
    expect(kpiPeriodOf(new Date('2026-01-01T00:00:00Z'), new Date('2027-01-02T00:00:00Z'))).toEqual({ from: new Date('2026-01-01T00:00:00Z'), to: new Date('2027-01-02T00:00:00Z') });
    expect(kpiPeriodOf('2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z').to).toEqual(new Date('2026-02-01T00:00:00Z'));
  });

  it.each([
    ['to before from', '2026-02-01T00:00:00Z', '2026-01-01T00:00:00Z', 'to: must be after from'],
    ['an empty period', '2026-02-01T00:00:00Z', '2026-02-01T00:00:00Z', 'to: must be after from'],
    ['a period over 366 days', '2026-01-01T00:00:00Z', '2027-01-02T00:00:01Z', 'to: a KPI period is at most 366 days'],
    ['a date that is not one', 'yesterday', '2026-01-01T00:00:00Z', 'from: not a date'],
    ['a missing date', '2026-01-01T00:00:00Z', null, 'to: not a date'],
  ])('refuses %s as BAD_USER_INPUT', (_name, from, to, message) => {
    expect(() => kpiPeriodOf(from, to)).toThrow(new AppError('BAD_USER_INPUT', message));
    try {
      kpiPeriodOf(from, to);
    } catch (err) {
      expect((err as AppError).code).toBe('BAD_USER_INPUT');
    }
  });
});
