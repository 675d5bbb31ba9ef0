import {
  encodeRow,
  fitLogisticRegression,
  labelColumn,
  predictLogit,
  predictProbability,
  rawCoefficients,
  standardiseRow,
  type FeatureSpec,
  type LogisticModel,
  type TrainingExample,
} from '../../../../../subgraphs/risk/domain/churn/logistic-regression';

// mtcars (R datasets): [am, hp, wt] for all 32 cars, in R's row order
const MTCARS: [0 | 1, number, number][] = [
  [1, 110, 2.62], [1, 110, 2.875], [1, 93, 2.32], [0, 110, 3.215], [0, 175, 3.44], [0, 105, 3.46], [0, 245, 3.57], [0, 62, 3.19],
  [0, 95, 3.15], [0, 123, 3.44], [0, 123, 3.44], [0, 180, 4.07], [0, 180, 3.73], [0, 180, 3.78], [0, 205, 5.25], [0, 215, 5.424],
  [0, 230, 5.345], [1, 66, 2.2], [1, 52, 1.615], [1, 65, 1.835], [0, 97, 2.465], [0, 150, 3.52], [0, 150, 3.435], [0, 245, 3.84],
  [0, 175, 3.845], [1, 66, 1.935], [1, 91, 2.14], [1, 113, 1.513], [1, 264, 3.17], [1, 175, 2.77], [1, 335, 3.57], [1, 109, 2.78],
];
const MTCARS_EXAMPLES: TrainingExample[] = MTCARS.map(([am, hp, wt]) => ({ features: { hp, wt }, label: am }));
const NUMERIC_HP_WT: FeatureSpec = { numeric: ['hp', 'wt'], categorical: [] };

/** A small deterministic data set with two numeric features, a categorical one and a boolean. */
function makeMixedExamples(): TrainingExample[] {
  const plans = ['basic', 'pro', 'team'];
  const examples: TrainingExample[] = [];
  for (let i = 0; i < 60; i++) {
    const tenure = (i * 7) % 37;
    const tickets = (i * 5) % 11;
    const plan = plans[i % 3];
    const annual = i % 4 === 0;
    const score = -0.08 * tenure + 0.3 * tickets + (plan === 'basic' ? 0.8 : plan === 'team' ? -0.5 : 0) + (annual ? -0.7 : 0);
    const label: 0 | 1 = score + ((i * 13) % 7) / 3 - 1 > 0 ? 1 : 0;
    examples.push({ features: { tenure, tickets, plan, annual }, label });
  }
  return examples;
}
const MIXED_SPEC: FeatureSpec = { numeric: ['tenure', 'tickets'], categorical: ['plan', 'annual'] };

/** X'W(y − p) on [1, standardised columns]: the gradient of the log-likelihood. */
function computeScore(model: LogisticModel, examples: TrainingExample[]): number[] {
  const score = new Array<number>(model.coefficients.length + 1).fill(0);
  for (const example of examples) {
    const residual = (example.weight ?? 1) * (example.label - predictProbability(model, example.features));
    const z = standardiseRow(model, example.features);
    score[0] += residual;
    z.forEach((value, j) => (score[j + 1] += residual * value));
  }
  return score;
}

describe('fitLogisticRegression', () => {
  it("reproduces R's glm(am ~ hp + wt, family = binomial) on mtcars with l2 = 0", () => {
    const model = fitLogisticRegression(MTCARS_EXAMPLES, NUMERIC_HP_WT, { l2: 0 });
    const raw = rawCoefficients(model);
    expect(model.converged).toBe(true);
    expect(Math.abs(raw.intercept - 18.8663)).toBeLessThan(1e-4);
    expect(Math.abs(raw.coefficients.hp - 0.03626)).toBeLessThan(1e-4);
    expect(Math.abs(raw.coefficients.wt - -8.08348)).toBeLessThan(1e-4);
    expect(model.trainingRows).toBe(32);
  });

  it('predicts each group’s observed rate for a single binary categorical feature with l2 = 0', () => {
    const examples: TrainingExample[] = [];
    for (let i = 0; i < 10; i++) examples.push({ features: { plan: 'a' }, label: i < 3 ? 1 : 0 });
    for (let i = 0; i < 8; i++) examples.push({ features: { plan: 'b' }, label: i < 7 ? 1 : 0 });
    const model = fitLogisticRegression(examples, { numeric: [], categorical: ['plan'] }, { l2: 0 });
    expect(model.converged).toBe(true);
    expect(model.columns.map(labelColumn)).toEqual(['plan=a', 'plan=b']);
    expect(predictProbability(model, { plan: 'a' })).toBeCloseTo(0.3, 9);
    expect(predictProbability(model, { plan: 'b' })).toBeCloseTo(0.875, 9);
  });

  it('treats a boolean categorical feature as the levels "false" and "true"', () => {
    const examples: TrainingExample[] = [true, true, true, true, false, false, false, false].map((annual, i) => ({
      features: { annual },
      label: (annual ? i === 0 : i !== 7) ? 1 : 0,
    }));
    const model = fitLogisticRegression(examples, { numeric: [], categorical: ['annual'] }, { l2: 0 });
    expect(model.columns.map(labelColumn)).toEqual(['annual=false', 'annual=true']);
    expect(predictProbability(model, { annual: true })).toBeCloseTo(0.25, 9);
    expect(predictProbability(model, { annual: false })).toBeCloseTo(0.75, 9);
  });

  it('gives a duplicated row the same fit as weight 2', () => {
    const base = MTCARS_EXAMPLES.slice();
    const duplicated = [...base, base[4], base[28]];
    const weighted = base.map((example, i) => (i === 4 || i === 28 ? { ...example, weight: 2 } : example));
    for (const l2 of [0, 1.5]) {
      const a = fitLogisticRegression(duplicated, NUMERIC_HP_WT, { l2 });
      const b = fitLogisticRegression(weighted, NUMERIC_HP_WT, { l2 });
      expect(b.intercept).toBeCloseTo(a.intercept, 9);
      b.coefficients.forEach((value, j) => expect(value).toBeCloseTo(a.coefficients[j], 9));
      b.columns.forEach((column, j) => {
        expect(column.center).toBeCloseTo(a.columns[j].center, 12);
        expect(column.scale).toBeCloseTo(a.columns[j].scale, 12);
      });
    }
  });

  it('ignores rows with weight 0', () => {
    const extra: TrainingExample = { features: { hp: 999, wt: 0.5 }, label: 0, weight: 0 };
    const a = fitLogisticRegression(MTCARS_EXAMPLES, NUMERIC_HP_WT, { l2: 0.5 });
    const b = fitLogisticRegression([...MTCARS_EXAMPLES, extra], NUMERIC_HP_WT, { l2: 0.5 });
    expect(b.intercept).toBeCloseTo(a.intercept, 10);
    b.coefficients.forEach((value, j) => expect(value).toBeCloseTo(a.coefficients[j], 10));
  });

  it('reaches the ridge optimum: X′W(y − p) = λβ on the standardised columns, 0 for the intercept', () => {
    const examples = makeMixedExamples();
    for (const l2 of [0.1, 2, 25]) {
      const model = fitLogisticRegression(examples, MIXED_SPEC, { l2 });
      expect(model.converged).toBe(true);
      const score = computeScore(model, examples);
      expect(Math.abs(score[0])).toBeLessThan(1e-8);
      model.coefficients.forEach((beta, j) => expect(Math.abs(score[j + 1] - l2 * beta)).toBeLessThan(1e-8));
    }
  });

  it('shrinks the coefficients as l2 grows', () => {
    const examples = makeMixedExamples();
    const norms = [0.01, 1, 10, 100, 10000].map((l2) => {
      const model = fitLogisticRegression(examples, MIXED_SPEC, { l2 });
      return Math.hypot(...model.coefficients);
    });
    for (let k = 1; k < norms.length; k++) expect(norms[k]).toBeLessThan(norms[k - 1]);
    expect(norms[norms.length - 1]).toBeLessThan(0.01);
  });

  it('one-hot encodes every categorical level seen in training, sorted, with no reference level dropped', () => {
    const model = fitLogisticRegression(makeMixedExamples(), MIXED_SPEC, { l2: 1 });
    expect(model.columns.map(labelColumn)).toEqual(['tenure', 'tickets', 'plan=basic', 'plan=pro', 'plan=team', 'annual=false', 'annual=true']);
    expect(encodeRow(model, { tenure: 3, tickets: 1, plan: 'pro', annual: true })).toEqual([3, 1, 0, 1, 0, 0, 1]);
    const basic = model.columns.find((column) => column.level === 'basic');
    expect(basic?.mean).toBeCloseTo(1 / 3, 12);
  });

  it('imputes the training mean and adds a missing indicator only for numeric features that had gaps', () => {
    const examples = makeMixedExamples().map((example, i) => {
      if (i % 6 !== 0) return example;
      return { ...example, features: { ...example.features, tenure: i % 12 === 0 ? null : Number.NaN, plan: undefined } };
    });
    const model = fitLogisticRegression(examples, MIXED_SPEC, { l2: 1 });
    const labels = model.columns.map(labelColumn);
    expect(labels).toEqual(['tenure', 'tenure[missing]', 'tickets', 'plan=(missing)', 'plan=basic', 'plan=pro', 'plan=team', 'annual=false', 'annual=true']);
    const tenure = model.columns[0];
    const observed = examples.map((example) => example.features.tenure).filter((value): value is number => typeof value === 'number' && !Number.isNaN(value));
    expect(tenure.mean).toBeCloseTo(observed.reduce((a, b) => a + b, 0) / observed.length, 10);
    expect(encodeRow(model, { tickets: 2, plan: null, annual: false })).toEqual([tenure.mean, 1, 2, 1, 0, 0, 0, 1, 0]);
    expect(encodeRow(model, { tenure: 'n/a', tickets: 2, plan: 'pro', annual: false })[1]).toBe(1);
  });

  it('predicts finite probabilities for missing values and unseen levels', () => {
    const model = fitLogisticRegression(makeMixedExamples(), MIXED_SPEC, { l2: 1 });
    const rows = [{}, { tenure: null, tickets: undefined, plan: 'enterprise', annual: null }, { tenure: Number.POSITIVE_INFINITY, plan: 42 }];
    for (const row of rows) {
      const p = predictProbability(model, row);
      expect(Number.isFinite(p)).toBe(true);
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1);
    }
    const unseen = encodeRow(model, { tenure: 1, tickets: 1, plan: 'enterprise', annual: true });
    expect(unseen.slice(2, 5)).toEqual([0, 0, 0]);
  });

  it('counts a boolean listed as numeric as 1/0', () => {
    const examples = makeMixedExamples();
    const model = fitLogisticRegression(examples, { numeric: ['annual'], categorical: [] }, { l2: 0 });
    expect(encodeRow(model, { annual: true })).toEqual([1]);
    expect(encodeRow(model, { annual: false })).toEqual([0]);
    expect(model.columns).toHaveLength(1);
  });

  it('gives a constant column scale 1 and a zero coefficient', () => {
    const examples = MTCARS_EXAMPLES.map((example) => ({ ...example, features: { ...example.features, doors: 4 } }));
    const model = fitLogisticRegression(examples, { numeric: ['hp', 'wt', 'doors'], categorical: [] }, { l2: 0 });
    expect(model.columns[2]).toMatchObject({ center: 4, scale: 1, mean: 4 });
    expect(model.coefficients[2]).toBe(0);
    expect(Math.abs(rawCoefficients(model).coefficients.wt - -8.08348)).toBeLessThan(1e-4);
  });

  it('stops at maxIterations with converged = false on separable data with l2 = 0, without overflowing', () => {
    const examples: TrainingExample[] = [1, 2, 3, 4, 5, 6, 7, 8].map((x) => ({ features: { x }, label: x > 4 ? 1 : 0 }));
    const model = fitLogisticRegression(examples, { numeric: ['x'], categorical: [] }, { l2: 0, maxIterations: 50 });
    expect(model.converged).toBe(false);
    expect(model.iterations).toBe(50);
    expect(Number.isFinite(model.intercept)).toBe(true);
    expect(model.coefficients.every(Number.isFinite)).toBe(true);
    expect(predictProbability(model, { x: 8 })).toBeGreaterThan(0.999999);
    expect(predictProbability(model, { x: 1 })).toBeLessThan(1e-6);
    expect(Number.isFinite(predictLogit(model, { x: 1e6 }))).toBe(true);
  });

  it('converges on separable data when l2 > 0', () => {
    const examples: TrainingExample[] = [1, 2, 3, 4, 5, 6, 7, 8].map((x) => ({ features: { x }, label: x > 4 ? 1 : 0 }));
    const model = fitLogisticRegression(examples, { numeric: ['x'], categorical: [] }, { l2: 1 });
    expect(model.converged).toBe(true);
    expect(model.iterations).toBeLessThan(20);
    expect(model.coefficients[0]).toBeGreaterThan(0);
  });

  it('returns a plain JSON-serialisable model that predicts the same after a round trip', () => {
    const model = fitLogisticRegression(makeMixedExamples(), MIXED_SPEC, { l2: 1 });
    const restored = JSON.parse(JSON.stringify(model)) as LogisticModel;
    expect(restored).toEqual(model);
    const row = { tenure: 12, tickets: 3, plan: 'team', annual: false };
    expect(predictLogit(restored, row)).toBe(predictLogit(model, row));
  });

  it('sets baselineLogit to the logit at the training means', () => {
    const model = fitLogisticRegression(MTCARS_EXAMPLES, NUMERIC_HP_WT, { l2: 0.3 });
    const hp = MTCARS.reduce((sum, row) => sum + row[1], 0) / 32;
    const wt = MTCARS.reduce((sum, row) => sum + row[2], 0) / 32;
    expect(model.baselineLogit).toBeCloseTo(predictLogit(model, { hp, wt }), 10);
  });

  it.each<[string, TrainingExample[], RegExp]>([
    ['no examples', [], /no training examples/],
    ['a label other than 0/1', [{ features: {}, label: 2 as 0 }], /label must be 0 or 1/],
    ['a negative weight', [{ features: {}, label: 1, weight: -1 }, { features: {}, label: 0 }], /weight must be finite and >= 0/],
    ['no positives', [{ features: {}, label: 0 }, { features: {}, label: 0 }], /no positive examples/],
    ['no negatives', [{ features: {}, label: 1 }], /no negative examples/],
    ['positives with weight 0 only', [{ features: {}, label: 1, weight: 0 }, { features: {}, label: 0 }], /no positive examples/],
  ])('throws a RangeError for %s', (_, examples, message) => {
    expect(() => fitLogisticRegression(examples, { numeric: [], categorical: [] }, { l2: 0 })).toThrow(RangeError);
    expect(() => fitLogisticRegression(examples, { numeric: [], categorical: [] }, { l2: 0 })).toThrow(message);
  });

  it('throws a RangeError for bad options or a feature listed twice', () => {
    expect(() => fitLogisticRegression(MTCARS_EXAMPLES, NUMERIC_HP_WT, { l2: -1 })).toThrow(RangeError);
    expect(() => fitLogisticRegression(MTCARS_EXAMPLES, NUMERIC_HP_WT, { l2: 0, maxIterations: 0 })).toThrow(RangeError);
    expect(() => fitLogisticRegression(MTCARS_EXAMPLES, NUMERIC_HP_WT, { l2: 0, tolerance: 0 })).toThrow(RangeError);
    expect(() => fitLogisticRegression(MTCARS_EXAMPLES, { numeric: ['hp'], categorical: ['hp'] }, { l2: 0 })).toThrow(/more than once/);
  });
});

describe('rawCoefficients', () => {
  it('maps standardised coefficients back so raw predictions match', () => {
    const model = fitLogisticRegression(makeMixedExamples(), MIXED_SPEC, { l2: 1 });
    const raw = rawCoefficients(model);
    const row = { tenure: 20, tickets: 4, plan: 'basic', annual: true };
    const x = encodeRow(model, row);
    const logit = model.columns.reduce((sum, column, j) => sum + raw.coefficients[labelColumn(column)] * x[j], raw.intercept);
    expect(logit).toBeCloseTo(predictLogit(model, row), 10);
  });
});
