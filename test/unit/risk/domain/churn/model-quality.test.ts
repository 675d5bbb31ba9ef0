import { assessModelQuality } from '../../../../../subgraphs/risk/domain/churn/model-quality';

const OPTIONS = { minClassExamples: 20 };
const balanced = { positives: 50, negatives: 150 };

describe('assessModelQuality', () => {
  it.each([
    ['a model with signal is informative', [0.8, -0.2], balanced, 0.81, []],
    ['all-zero coefficients learned nothing', [0, 1e-9], balanced, 0.81, [/every coefficient is zero/]],
    ['a chance-level held-out AUC learned nothing', [0.3], balanced, 0.51, [/AUC 0.510 is no better than chance/]],
    ['an AUC just past the margin is informative', [0.3], balanced, 0.53, []],
    ['a held-out set with one class gives no AUC', [0.3], balanced, Number.NaN, [/no held-out ROC AUC/]],
    ['too few positives', [0.3], { positives: 19, negatives: 150 }, 0.8, [/19 positive and 150 negative examples; at least 20/]],
    ['all three at once', [0], { positives: 3, negatives: 4 }, 0.5, [/coefficient/, /chance/, /at least 20/]],
  ] as const)('%s', (_name, coefficients, training, auc, expected) => {
    const quality = assessModelQuality({ coefficients: [...coefficients] }, training, { rocAuc: auc }, OPTIONS);
    expect(quality.informative).toBe(expected.length === 0);
    expect(quality.reasons).toHaveLength(expected.length);
    expected.forEach((pattern, i) => expect(quality.reasons[i]).toMatch(pattern));
  });

  it('treats a missing held-out report as no AUC', () => {
    expect(assessModelQuality({ coefficients: [1] }, balanced, null, OPTIONS).reasons).toEqual(['no held-out ROC AUC (the held-out rows have one class only)']);
  });
});
