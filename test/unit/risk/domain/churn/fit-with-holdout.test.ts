import { fitWithHoldout } from '../../../../../subgraphs/risk/domain/churn/fit-with-holdout';

/** 60 groups of 4 rows; a group's label follows its x (noisy), so the model has something to learn. */
function rows() {
  const out: { group: string; features: { x: number }; label: 0 | 1 }[] = [];
  for (let g = 0; g < 60; g++) {
    for (let i = 0; i < 4; i++) {
      const x = (g % 10) + i / 10;
      out.push({ group: `g${g}`, features: { x }, label: x + ((g * 7) % 3) > 6 ? 1 : 0 });
    }
  }
  return out;
}

describe('fitWithHoldout', () => {
  const spec = { numeric: ['x'], categorical: [] };

  it('keeps every row of a group on one side of the split, and reports the split', () => {
    const data = rows();
    const { report } = fitWithHoldout(data, (r) => r.group, spec, { holdoutFraction: 0.25, l2: 1, seed: 3 });
    expect(report.groups).toBe(60);
    expect(report.rows).toBe(240);
    expect(report.trainingRows + report.holdoutRows).toBe(240);
    expect(report.holdoutRows % 4).toBe(0); // whole groups only
    expect(report.holdoutRows).toBeGreaterThanOrEqual(40);
    expect(report.holdout!.rows).toBe(report.holdoutRows);
    expect(report.holdout!.rocAuc).toBeGreaterThan(0.8);
    expect(report.positives + report.negatives).toBe(240);
  });

  it('is deterministic for a seed', () => {
    const a = fitWithHoldout(rows(), (r) => r.group, spec, { holdoutFraction: 0.25, l2: 1, seed: 5 });
    const b = fitWithHoldout(rows(), (r) => r.group, spec, { holdoutFraction: 0.25, l2: 1, seed: 5 });
    expect(a.model.coefficients).toEqual(b.model.coefficients);
    expect(a.report.holdout).toEqual(b.report.holdout);
  });

  it('refuses rows of one class with the counts', () => {
    const negatives = rows().map((r) => ({ ...r, label: 0 as const }));
    expect(() => fitWithHoldout(negatives, (r) => r.group, spec, { holdoutFraction: 0.25, l2: 1, seed: 1 })).toThrow(/0 positive and 240 negative/);
  });
});
