import { explainPrediction } from '../../../../../subgraphs/risk/domain/churn/explain';
import { fitLogisticRegression, predictLogit, predictProbability, type FeatureRow, type TrainingExample } from '../../../../../subgraphs/risk/domain/churn/logistic-regression';

function makeExamples(): TrainingExample[] {
  const plans = ['basic', 'pro', 'team'];
  return Array.from({ length: 48 }, (_, i) => {
    const tenure = (i * 7) % 29;
    const plan = plans[i % 3];
    const tickets = i % 5 === 0 ? null : (i * 3) % 8;
    const score = -0.1 * tenure + 0.4 * (tickets ?? 5) + (plan === 'basic' ? 1 : 0);
    return { features: { tenure, tickets, plan }, label: score + ((i * 11) % 5) / 2 - 1 > 0 ? 1 : 0, weight: 1 + (i % 2) };
  });
}
const SPEC = { numeric: ['tenure', 'tickets'], categorical: ['plan'] };

describe('explainPrediction', () => {
  const model = fitLogisticRegression(makeExamples(), SPEC, { l2: 0.5 });

  it.each<[string, FeatureRow]>([
    ['a typical row', { tenure: 3, tickets: 6, plan: 'basic' }],
    ['a row with a missing numeric value', { tenure: 20, tickets: null, plan: 'team' }],
    ['a row with an unseen level and a missing category', { tenure: 100, tickets: 0, plan: 'enterprise' }],
    ['an empty row', {}],
  ])('makes the contributions sum to logit − baselineLogit for %s', (_, row) => {
    const explanation = explainPrediction(model, row);
    const sum = explanation.contributions.reduce((total, c) => total + c.contribution, 0);
    expect(Math.abs(sum - (explanation.logit - explanation.baselineLogit))).toBeLessThan(1e-9);
    expect(Math.abs(explanation.logit - predictLogit(model, row))).toBeLessThan(1e-12);
    expect(explanation.probability).toBeCloseTo(predictProbability(model, row), 12);
    expect(explanation.baselineLogit).toBe(model.baselineLogit);
    expect(explanation.baselineProbability).toBeCloseTo(1 / (1 + Math.exp(-model.baselineLogit)), 12);
  });

  it('gives ~zero contributions to a row at the training means', () => {
    const continuous = fitLogisticRegression(
      makeExamples().map((example) => ({ ...example, features: { tenure: example.features.tenure, tickets: example.features.tickets ?? 2 } })),
      { numeric: ['tenure', 'tickets'], categorical: [] },
      { l2: 0.5 },
    );
    const means: FeatureRow = Object.fromEntries(continuous.columns.map((column) => [column.feature, column.mean]));
    const explanation = explainPrediction(continuous, means);
    for (const c of explanation.contributions) expect(Math.abs(c.contribution)).toBeLessThan(1e-12);
    expect(explanation.logit).toBeCloseTo(explanation.baselineLogit, 12);
  });

  it('sums one-hot levels and the missing indicator into one entry per original feature', () => {
    const explanation = explainPrediction(model, { tenure: 5, tickets: null, plan: 'pro' });
    expect(model.columns.filter((column) => column.feature === 'plan')).toHaveLength(3);
    expect(model.columns.filter((column) => column.feature === 'tickets')).toHaveLength(2);
    expect(explanation.contributions.map((c) => c.feature).sort()).toEqual(['plan', 'tenure', 'tickets']);
    const plan = explanation.contributions.find((c) => c.feature === 'plan')?.contribution ?? Number.NaN;
    const expected = model.columns.reduce((sum, column, j) => {
      if (column.feature !== 'plan') return sum;
      const x = column.level === 'pro' ? 1 : 0;
      return sum + (model.coefficients[j] * (x - column.mean)) / column.scale;
    }, 0);
    expect(plan).toBeCloseTo(expected, 12);
  });

  it('sorts contributions by absolute size, largest first, keeping spec order for ties', () => {
    const explanation = explainPrediction(model, { tenure: 28, tickets: 7, plan: 'team' });
    const sizes = explanation.contributions.map((c) => Math.abs(c.contribution));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    const tied = fitLogisticRegression(
      [0, 1, 0, 1].map((label, i) => ({ features: { a: 1, b: 2, c: i }, label: label as 0 | 1 })),
      { numeric: ['a', 'b'], categorical: ['c'] },
      { l2: 1 },
    );
    const ties = explainPrediction(tied, { a: 1, b: 2, c: 9 });
    expect(ties.contributions.slice(-2).map((c) => c.feature)).toEqual(['a', 'b']);
  });
});
