import { containsTruth, trueEffectOnArm, type ImpactSection } from '../../../../scripts/demo/collect-report';
import type { GroundTruthReport } from '../../../../scripts/demo/simulator/bank-simulator';

const measured = (treatedCustomers: number, uplift: { value: number; low: number; high: number }): Extract<ImpactSection, { available: true }> => ({
  available: true,
  status: 'MEASURED',
  reason: null,
  confidence: 0.95,
  treated: { customers: treatedCustomers, outcomes: 0, rate: null },
  control: { customers: 100, outcomes: 0, rate: null },
  uplift,
  relativeLift: null,
  pValue: null,
  customersRetained: null,
  meanClv: null,
  revenueProtected: null,
  sampleRatio: null,
});
const truth = (treated: number, averageEffectOnTreated: number): GroundTruthReport => ({ customers: 1000, closedAccounts: 50, treated, averageEffectOnTreated, effectBySegment: {} });

describe('the demo compares the measured uplift with the true effect on the arm as assigned', () => {
  it('is the effect on those reached when the email reached the whole arm', () => {
    expect(trueEffectOnArm(measured(80, { value: 0.05, low: 0, high: 0.1 }), truth(80, 0.06))).toBeCloseTo(0.06, 12);
  });

  it('is diluted by the share of the arm the email never reached (intention to treat)', () => {
    expect(trueEffectOnArm(measured(100, { value: 0.03, low: 0.01, high: 0.05 }), truth(50, 0.08))).toBeCloseTo(0.04, 12);
    expect(containsTruth(measured(100, { value: 0.03, low: 0.01, high: 0.05 }), truth(50, 0.08))).toBe(true);
    // against the undiluted 8% the same interval would have "missed"
    expect(containsTruth(measured(50, { value: 0.03, low: 0.01, high: 0.05 }), truth(50, 0.08))).toBe(false);
  });

  it('says nothing without a measurement', () => {
    expect(containsTruth({ available: false, reason: 'playbookImpact missing' }, truth(10, 0.05))).toBeNull();
    expect(containsTruth({ ...measured(100, { value: 0, low: 0, high: 0 }), status: 'INSUFFICIENT_SAMPLE', uplift: null }, truth(10, 0.05))).toBeNull();
  });
});
