import { createSeededRandom } from '../../../../subgraphs/common/math/random';
import {
  playbookImpact,
  type MeasuredImpact,
  type PlaybookImpact,
  type PlaybookImpactInput,
} from '../../../../subgraphs/actions/domain/uplift/playbook-impact';
import { drawBinomial } from './simulate';

const churn = (treated: [number, number], control: [number, number], extra: Partial<PlaybookImpactInput> = {}): PlaybookImpactInput => ({
  treated: { customers: treated[0], outcomes: treated[1] },
  control: { customers: control[0], outcomes: control[1] },
  direction: 'reduce',
  treatedClvSum: treated[0] * 500,
  cost: 5000,
  ...extra,
});

function measured(impact: PlaybookImpact): MeasuredImpact {
  if (impact.status !== 'measured') throw new Error(`expected a measurement, got: ${impact.reason}`);
  return impact;
}

describe('playbookImpact', () => {
  // churn 120/1000 treated vs 160/1000 held out; mean CLV 500; cost 5,000. Reference values:
  // the Wilson and Newcombe formulas and the Katz log interval evaluated by hand (Python, z = 1.959964)
  const impact = measured(playbookImpact(churn([1000, 120], [1000, 160])));

  it('gives each arm its rate with a Wilson interval', () => {
    expect(impact.treated.rate).toEqual({ value: 0.12, lower: expect.closeTo(0.1012993, 6), upper: expect.closeTo(0.1416091, 6) });
    expect(impact.control.rate).toEqual({ value: 0.16, lower: expect.closeTo(0.1385853, 6), upper: expect.closeTo(0.1840169, 6) });
  });

  it('gives the uplift (control − treated churn) with a Newcombe interval, relative lift and p-value', () => {
    expect(impact.uplift.value).toBeCloseTo(0.04, 12);
    expect(impact.uplift.lower).toBeCloseTo(0.009577259179603673, 10);
    expect(impact.uplift.upper).toBeCloseTo(0.07043896775136256, 10);
    expect(impact.relativeLift?.value).toBeCloseTo(0.25, 12);
    expect(impact.relativeLift?.lower).toBeCloseTo(0.0655734143535549, 10);
    expect(impact.relativeLift?.upper).toBeCloseTo(0.3980265452198609, 10);
    expect(impact.pValue).toBeCloseTo(0.009946136752047788, 10);
  });

  it('turns the uplift into customers retained, revenue protected and ROI, with intervals', () => {
    expect(impact.customersRetained.value).toBeCloseTo(40, 9);
    expect(impact.customersRetained.lower).toBeCloseTo(9.577259179603674, 8);
    expect(impact.customersRetained.upper).toBeCloseTo(70.43896775136255, 8);
    expect(impact.meanClv).toBe(500);
    expect(impact.revenueProtected.value).toBeCloseTo(20_000, 6);
    expect(impact.revenueProtected.lower).toBeCloseTo(4788.629589801837, 6);
    expect(impact.revenueProtected.upper).toBeCloseTo(35219.483875681275, 6);
    expect(impact.cost).toBe(5000);
    expect(impact.roi?.value).toBeCloseTo(3, 9);
    expect(impact.roi?.lower).toBeCloseTo(-0.04227408203963259, 9);
    expect(impact.roi?.upper).toBeCloseTo(6.043896775136257, 9);
    expect(impact.sampleRatio).toBeNull();
  });

  it('reads a conversion outcome the other way round, and has no relative lift when control never converts', () => {
    const conversion = measured(
      playbookImpact({ treated: { customers: 100, outcomes: 30 }, control: { customers: 100, outcomes: 0 }, direction: 'increase', treatedClvSum: 0, cost: 0 }),
    );
    expect(conversion.uplift.value).toBeCloseTo(0.3, 12);
    expect(conversion.uplift.lower).toBeGreaterThan(0);
    expect(conversion.relativeLift).toBeNull();
    expect(conversion.roi).toBeNull();
    expect(conversion.revenueProtected).toEqual({ value: 0, lower: 0, upper: 0 });
  });

  it('shows a harmful playbook as a negative uplift', () => {
    const harmful = measured(playbookImpact(churn([1000, 200], [1000, 150])));
    expect(harmful.uplift.value).toBeCloseTo(-0.05, 12);
    expect(harmful.uplift.upper).toBeLessThan(0);
    expect(harmful.relativeLift?.value).toBeCloseTo(1 - 0.2 / 0.15, 12);
  });

  it.each([
    ['too few held-out customers', churn([1000, 100], [12, 2]), 'control has 12 customers; at least 30 per arm are needed'],
    ['too few treated customers', churn([29, 5], [100, 20]), 'treated has 29 customers; at least 30 per arm are needed'],
    ['too few outcomes', churn([40, 1], [40, 2]), '3 customers had the outcome; at least 5 across both arms are needed'],
    ['too few customers without the outcome', churn([40, 38], [40, 40]), '2 customers did not have the outcome; at least 5 across both arms are needed'],
  ])('says the sample is insufficient instead of printing numbers: %s', (_name, input, reason) => {
    const result = playbookImpact(input);
    expect(result).toEqual({ status: 'insufficientSample', reason, treated: input.treated, control: input.control, sampleRatio: null });
  });

  it('uses the minimum sample it is given', () => {
    expect(playbookImpact(churn([50, 10], [50, 10]), { minCustomersPerArm: 100 }).status).toBe('insufficientSample');
    expect(playbookImpact(churn([50, 10], [50, 10]), { minCustomersPerArm: 50 }).status).toBe('measured');
  });

  it('checks the split against the holdout fraction, even before there is enough to measure', () => {
    expect(measured(playbookImpact(churn([9000, 900], [1000, 100], { holdoutFraction: 0.1 }))).sampleRatio?.mismatch).toBe(false);
    expect(measured(playbookImpact(churn([9000, 900], [1200, 100], { holdoutFraction: 0.1 }))).sampleRatio?.mismatch).toBe(true);
    expect(playbookImpact(churn([200, 0], [10, 0], { holdoutFraction: 0.1 })).sampleRatio).not.toBeNull();
  });

  it('widens the intervals at a higher confidence level', () => {
    const at99 = measured(playbookImpact(churn([1000, 120], [1000, 160]), { confidence: 0.99 }));
    expect(at99.confidence).toBe(0.99);
    expect(at99.uplift.lower).toBeLessThan(impact.uplift.lower);
    expect(at99.uplift.upper).toBeGreaterThan(impact.uplift.upper);
  });

  it.each([
    ['more outcomes than customers', churn([100, 101], [100, 10])],
    ['fractional counts', churn([100.5, 10], [100, 10])],
    ['a negative CLV sum', churn([100, 10], [100, 10], { treatedClvSum: -1 })],
    ['a negative cost', churn([100, 10], [100, 10], { cost: -1 })],
    ['a holdout fraction above 1', churn([100, 10], [100, 10], { holdoutFraction: 1.5 })],
  ])('refuses %s', (_name, input) => {
    expect(() => playbookImpact(input)).toThrow(RangeError);
  });

  it('covers the true number of customers retained 93–97 % of the time (2,000 seeded experiments, 10 % holdout)', () => {
    // 2,000 enrolled, 200 held out; churn 20 % untreated, 16 % treated: 0.04 × 1,800 = 72 retained
    const random = createSeededRandom(13);
    let covered = 0;
    for (let i = 0; i < 2000; i++) {
      const result = measured(
        playbookImpact(churn([1800, drawBinomial(random, 1800, 0.16)], [200, drawBinomial(random, 200, 0.2)])),
      );
      const truth = 0.04 * 1800;
      if (result.customersRetained.lower <= truth && truth <= result.customersRetained.upper) covered++;
    }
    expect(covered / 2000).toBeGreaterThanOrEqual(0.93);
    expect(covered / 2000).toBeLessThanOrEqual(0.97);
  });

  describe('a REVENUE outcome', () => {
    // the welchTest example: 10 treated, revenue [12, 0, 0, 35.5, 8, 0, 20, 0, 0, 41] (5 bought),
    // 9 control, [0, 5, 0, 0, 10, 0, 0, 3, 0] (3 bought); cost 20. scipy.stats.ttest_ind(equal_var=False):
    // difference 9.65, 95 % CI (-1.649479371403844, 20.949479371403847), p 0.0862113186191415
    const revenueInput = (extra: Partial<PlaybookImpactInput> = {}): PlaybookImpactInput => ({
      treated: { customers: 10, outcomes: 5 },
      control: { customers: 9, outcomes: 3 },
      direction: 'increase',
      treatedClvSum: 0,
      cost: 20,
      revenue: { treated: { sum: 116.5, sumSquares: 3549.25 }, control: { sum: 18, sumSquares: 134 } },
      ...extra,
    });
    const small = { minCustomersPerArm: 5 };

    it('measures the difference in mean revenue per customer with a Welch interval and p-value', () => {
      const result = measured(playbookImpact(revenueInput(), small));
      expect(result.meanDifference).toEqual({
        treatedMean: expect.closeTo(11.65, 10),
        controlMean: expect.closeTo(2, 10),
        difference: { value: expect.closeTo(9.65, 10), lower: expect.closeTo(-1.649479371403844, 8), upper: expect.closeTo(20.949479371403847, 8) },
        degreesOfFreedom: expect.closeTo(9.998896163939499, 8),
      });
      expect(result.pValue).toBeCloseTo(0.0862113186191415, 10);
    });

    it('protects difference × treated customers of revenue, the interval scaled, and takes ROI from it', () => {
      const result = measured(playbookImpact(revenueInput(), small));
      // 9.65 × 10 = 96.5 (−16.49479…, 209.49479…); ROI (96.5 − 20)/20 = 3.825
      expect(result.revenueProtected).toEqual({ value: expect.closeTo(96.5, 9), lower: expect.closeTo(-16.4947937140384, 7), upper: expect.closeTo(209.4947937140385, 7) });
      expect(result.roi).toEqual({ value: expect.closeTo(3.825, 9), lower: expect.closeTo(-1.82473968570192, 7), upper: expect.closeTo(9.47473968570192, 7) });
      // the rate fields still say who bought at all: 50 % vs 33 %
      expect(result.uplift.value).toBeCloseTo(0.5 - 3 / 9, 12);
    });

    it('has no mean difference for the other kinds', () => {
      expect(measured(playbookImpact(churn([1000, 120], [1000, 160]))).meanDifference).toBeNull();
    });

    it.each([
      ['too few customers', revenueInput(), {}, 'treated has 10 customers; at least 30 per arm are needed'],
      ['too few customers with revenue', revenueInput({ treated: { customers: 10, outcomes: 1 }, control: { customers: 9, outcomes: 1 }, revenue: { treated: { sum: 40, sumSquares: 1600 }, control: { sum: 10, sumSquares: 100 } } }), small, '2 customers had revenue; at least 5 across both arms are needed'],
      ['no spread', revenueInput({ treated: { customers: 10, outcomes: 10 }, control: { customers: 9, outcomes: 9 }, revenue: { treated: { sum: 50, sumSquares: 250 }, control: { sum: 45, sumSquares: 225 } } }), small, 'revenue per customer is the same for every customer of both arms; there is no spread to measure against'],
    ])('says the sample is insufficient: %s', (_name, input, options, reason) => {
      expect(playbookImpact(input, options)).toMatchObject({ status: 'insufficientSample', reason });
    });

    it('refuses revenue sums that no sample can have', () => {
      expect(() => playbookImpact(revenueInput({ revenue: { treated: { sum: 1, sumSquares: -1 }, control: { sum: 0, sumSquares: 0 } } }), small)).toThrow(RangeError);
    });
  });
});
