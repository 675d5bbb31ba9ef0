import { buildRfm, type Transaction } from '../../../../../subgraphs/risk/domain/lifetime/rfm';
import { readSampleTransactions, readSummary } from './cdnow';

const at = (iso: string) => new Date(iso);
const tx = (customerId: string, iso: string, amount: number): Transaction => ({ customerId, at: at(iso), amount });

describe('buildRfm', () => {
  const end = at('2024-01-31T00:00:00Z');

  it('counts repeat purchase days, recency and age in days', () => {
    const [row] = buildRfm(
      [tx('a', '2024-01-01T10:00:00Z', 10), tx('a', '2024-01-05T09:00:00Z', 20), tx('a', '2024-01-11T23:59:00Z', 40)],
      { calibrationEnd: end, timeUnit: 'days' },
    );
    expect(row).toEqual({ customerId: 'a', x: 2, tx: 10, T: 30, monetary: 30, firstPurchaseAt: '2024-01-01T00:00:00.000Z' });
  });

  it('counts purchases on one UTC day once, summing their amounts', () => {
    const [row] = buildRfm(
      [tx('a', '2024-01-01T01:00:00Z', 10), tx('a', '2024-01-01T22:00:00Z', 5), tx('a', '2024-01-08T08:00:00Z', 7), tx('a', '2024-01-08T20:00:00Z', 3)],
      { calibrationEnd: end, timeUnit: 'weeks' },
    );
    expect(row.x).toBe(1);
    expect(row.tx).toBe(1);
    expect(row.T).toBeCloseTo(30 / 7, 12);
    expect(row.monetary).toBe(10); // the first day's 15 is not a repeat purchase
  });

  it('gives monetary 0 and tx 0 to a customer without repeat purchases', () => {
    const [row] = buildRfm([tx('a', '2024-01-20T12:00:00Z', 99)], { calibrationEnd: end, timeUnit: 'days' });
    expect(row).toMatchObject({ x: 0, tx: 0, T: 11, monetary: 0 });
  });

  it('ignores transactions after calibrationEnd and customers who first buy after it', () => {
    const rows = buildRfm(
      [tx('a', '2024-01-01T00:00:00Z', 1), tx('a', '2024-01-31T00:00:00Z', 2), tx('a', '2024-02-02T00:00:00Z', 3), tx('b', '2024-02-01T00:00:00Z', 4)],
      { calibrationEnd: end, timeUnit: 'days' },
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ customerId: 'a', x: 1, tx: 30, T: 30, monetary: 2 });
  });

  it('does not depend on the order of the log, and returns plain data sorted by customer', () => {
    const log = [tx('b', '2024-01-03T00:00:00Z', 1), tx('a', '2024-01-09T00:00:00Z', 2), tx('b', '2024-01-02T00:00:00Z', 3), tx('a', '2024-01-04T00:00:00Z', 4)];
    const rows = buildRfm(log, { calibrationEnd: end, timeUnit: 'days' });
    expect(rows.map((r) => r.customerId)).toEqual(['a', 'b']);
    expect(buildRfm([...log].reverse(), { calibrationEnd: end, timeUnit: 'days' })).toEqual(rows);
    expect(JSON.parse(JSON.stringify(rows))).toEqual(rows);
  });

  it('returns nothing for an empty log', () => {
    expect(buildRfm([], { calibrationEnd: end, timeUnit: 'days' })).toEqual([]);
  });

  it('refuses invalid dates, amounts and units', () => {
    expect(() => buildRfm([], { calibrationEnd: new Date(Number.NaN), timeUnit: 'days' })).toThrow(/calibrationEnd/);
    expect(() => buildRfm([{ customerId: 'a', at: new Date('nope'), amount: 1 }], { calibrationEnd: end, timeUnit: 'days' })).toThrow(/invalid date/);
    expect(() => buildRfm([tx('a', '2024-01-01T00:00:00Z', Number.NaN)], { calibrationEnd: end, timeUnit: 'days' })).toThrow(/amount/);
    expect(() => buildRfm([], { calibrationEnd: end, timeUnit: 'months' as 'days' })).toThrow(/timeUnit/);
  });
});

describe('buildRfm on the CDNOW sample', () => {
  it('reproduces the published calibration summary (39 weeks: 1997-01-01 to 1997-09-30)', () => {
    // T for a customer first buying on 1 January is 38.86 weeks = 272 days: T runs to the start of
    // 30 September, and purchases on that day still count (13 in the sample; x depends on them).
    const rows = buildRfm(readSampleTransactions(), { calibrationEnd: at('1997-09-30T00:00:00Z'), timeUnit: 'weeks' });
    const summary = readSummary();
    expect(rows).toHaveLength(summary.length);
    const byId = new Map(rows.map((r) => [Number(r.customerId), r]));
    for (const expected of summary) {
      const row = byId.get(expected.id);
      expect(row).toBeDefined();
      if (!row) continue;
      if (row.x !== expected.x || Math.abs(row.tx - expected.tx) > 0.01 || Math.abs(row.T - expected.T) > 0.01 || Math.abs(row.monetary - expected.zbar) > 0.01) {
        throw new Error(`customer ${expected.id}: got ${JSON.stringify(row)}, published ${JSON.stringify(expected)}`);
      }
    }
  });
});
