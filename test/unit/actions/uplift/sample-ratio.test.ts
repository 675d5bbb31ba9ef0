import { createHash } from 'node:crypto';

import { armFractions, assignArm } from '../../../../subgraphs/actions/domain/uplift/assignment';
import { checkSampleRatio } from '../../../../subgraphs/actions/domain/uplift/sample-ratio';

const sha256 = (message: string) => createHash('sha256').update(message).digest();
const halves = (a: number, b: number) => [
  { arm: 'control', observed: a, expectedFraction: 0.5 },
  { arm: 'treatment', observed: b, expectedFraction: 0.5 },
];

describe('checkSampleRatio', () => {
  it('flags a broken 50/50 split: 5,000 vs 5,400 (χ² = 15.38, p = 8.8e−5)', () => {
    const check = checkSampleRatio(halves(5000, 5400));
    expect(check.chiSquare).toBeCloseTo(15.384615384615385, 10);
    expect(check.degreesOfFreedom).toBe(1);
    // reference value: scipy.stats.chi2.sf(15.384615384615385, 1)
    expect(check.pValue).toBeCloseTo(8.769942375590228e-5, 12);
    expect(check.mismatch).toBe(true);
  });

  it('does not flag a fair one: 5,000 vs 5,050 (p = 0.62)', () => {
    const check = checkSampleRatio(halves(5000, 5050));
    expect(check.pValue).toBeCloseTo(0.618, 3);
    expect(check.mismatch).toBe(false);
  });

  it('tests several arms against unequal shares (df = arms − 1)', () => {
    // expected 1000, 3000, 3000, 3000 of 10,000; χ² = 400/1000 + 0 + 2500/3000 + 2500/3000
    const check = checkSampleRatio([
      { arm: 'control', observed: 1020, expectedFraction: 0.1 },
      { arm: 'a', observed: 3000, expectedFraction: 0.3 },
      { arm: 'b', observed: 2930, expectedFraction: 0.3 },
      { arm: 'c', observed: 3050, expectedFraction: 0.3 },
    ]);
    expect(check.chiSquare).toBeCloseTo(0.4 + 4900 / 3000 + 2500 / 3000, 10);
    expect(check.degreesOfFreedom).toBe(3);
    expect(check.mismatch).toBe(false);
  });

  it('passes the hash assignment and flags the same assignment with 10 % of treated enrolments lost', () => {
    const fractions = armFractions(0.1, ['a', 'b']);
    const counts: Record<string, number> = { control: 0, a: 0, b: 0 };
    const broken: Record<string, number> = { control: 0, a: 0, b: 0 };
    for (let i = 0; i < 20_000; i++) {
      const arm = assignArm(sha256, 'salt', 'pb-9', `p-${i}`, 0.1, ['a', 'b']);
      counts[arm]++;
      // e.g. a channel failure that drops the enrolment record of every 10th treated profile
      if (arm === 'control' || i % 10 !== 0) broken[arm]++;
    }
    const arms = (c: Record<string, number>) => Object.keys(fractions).map((arm) => ({ arm, observed: c[arm], expectedFraction: fractions[arm] }));
    expect(checkSampleRatio(arms(counts)).mismatch).toBe(false);
    expect(checkSampleRatio(arms(broken)).mismatch).toBe(true);
  });

  it('flags enrolments in an arm configured to get none', () => {
    const check = checkSampleRatio([
      { arm: 'control', observed: 3, expectedFraction: 0 },
      { arm: 'treatment', observed: 1000, expectedFraction: 1 },
    ]);
    expect(check.chiSquare).toBe(Infinity);
    expect(check.pValue).toBe(0);
    expect(check.mismatch).toBe(true);
  });

  it('has nothing to say before any enrolment or with a single arm', () => {
    expect(checkSampleRatio(halves(0, 0))).toMatchObject({ pValue: 1, mismatch: false, total: 0 });
    expect(checkSampleRatio([{ arm: 'treatment', observed: 10, expectedFraction: 1 }])).toMatchObject({
      degreesOfFreedom: 0,
      pValue: 1,
      mismatch: false,
    });
  });

  it('uses a custom threshold', () => {
    expect(checkSampleRatio(halves(5000, 5200), 0.05).mismatch).toBe(true);
    expect(checkSampleRatio(halves(5000, 5200)).mismatch).toBe(false);
  });

  it.each([
    ['shares that do not sum to 1', [{ arm: 'a', observed: 1, expectedFraction: 0.5 }]],
    ['a negative count', [{ arm: 'a', observed: -1, expectedFraction: 1 }]],
    ['a fractional count', [{ arm: 'a', observed: 1.5, expectedFraction: 1 }]],
    ['a share above 1', [{ arm: 'a', observed: 1, expectedFraction: 1.5 }, { arm: 'b', observed: 1, expectedFraction: -0.5 }]],
  ])('refuses %s', (_name, arms) => {
    expect(() => checkSampleRatio(arms)).toThrow(RangeError);
  });
});
