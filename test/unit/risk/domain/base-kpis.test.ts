import { churnKpi, clvKpi, revenueAtRiskKpi, type BaseSnapshot } from '../../../../subgraphs/risk/domain/base-kpis';

const base = (profiles: number, probabilitySum: number, clvKnown: number, clvSum: number): BaseSnapshot => ({
  profiles,
  probabilitySum,
  clvKnown,
  clvSum,
  revenueAtRiskKnown: clvKnown,
  revenueAtRiskSum: clvSum / 10,
});

describe('churnKpi', () => {
  it('gives the mean probability at both ends and its change', () => {
    expect(churnKpi(base(40, 8, 40, 4000), base(50, 15, 50, 5000))).toEqual({ activeProfiles: 50, activeProfilesAtStart: 40, meanProbability: 0.3, meanProbabilityAtStart: 0.2, change: 0.3 - 0.2, sampleNote: null });
  });

  it('names the end that is short of the minimum', () => {
    expect(churnKpi(base(40, 8, 0, 0), base(29, 3, 0, 0)).sampleNote).toBe('29 scored profiles at the end; at least 30 are needed');
  });
});

describe('clvKpi', () => {
  it('gives the relative growth of the total, none from a zero start', () => {
    expect(clvKpi(base(40, 8, 40, 4000), base(40, 8, 40, 5000))).toEqual({ totalAtStart: 4000, totalAtEnd: 5000, growth: 0.25, sampleNote: null });
    expect(clvKpi(base(40, 8, 40, 0), base(40, 8, 40, 5000)).growth).toBeNull();
  });
});

describe('revenueAtRiskKpi', () => {
  it('gives the totals at both ends', () => {
    expect(revenueAtRiskKpi(base(40, 8, 40, 4000), base(40, 8, 40, 5000))).toEqual({ atStart: 400, atEnd: 500, sampleNote: null });
  });
});
