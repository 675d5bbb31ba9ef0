import { computeDotProduct, solveCholesky } from '../../../common/math/linear-algebra';

/**
 * L2-regularised logistic regression for churn, fitted by Newton / IRLS.
 *
 * Why this shape: churn features are a mix of numbers and categories with gaps, the model has to be
 * explainable per feature (see explain.ts) and stored as plain JSON, and refits must be reproducible.
 * So the encoding is part of the model (every column knows its feature, centre, scale and mean), the
 * fit is deterministic (no random init, no SGD), and the result is a plain object.
 */

export type FeatureValue = number | string | boolean | null | undefined;
export type FeatureRow = Record<string, FeatureValue>;

export interface TrainingExample {
  features: FeatureRow;
  label: 0 | 1;
  /** sample weight, default 1; 0 drops the row from the fit */
  weight?: number;
}

export interface FeatureSpec {
  numeric: string[];
  categorical: string[];
}

export interface FitOptions {
  /** ridge penalty λ on the standardised coefficients (the intercept is never penalised) */
  l2: number;
  /** default 100 */
  maxIterations?: number;
  /** default 1e-10, on max |Δβ| (standardised scale) or the relative change of the penalised deviance */
  tolerance?: number;
}

/** One column of the design matrix after encoding. */
export interface EncodedColumn {
  feature: string;
  /** 'numeric': the value (mean-imputed); 'missing': 1 when the value was missing; 'level': 1 when the category is `level` */
  kind: 'numeric' | 'missing' | 'level';
  level?: string;
  center: number;
  scale: number;
  /**
   * Population (training, weighted) mean of the raw encoded value, for explanations. For a numeric
   * column it is also the value imputed for a missing entry (imputing the mean leaves the mean unchanged).
   */
  mean: number;
}

export interface LogisticModel {
  spec: FeatureSpec;
  columns: EncodedColumn[];
  intercept: number;
  /** on the standardised columns: logit = intercept + Σ β_j (x_j − center_j) / scale_j */
  coefficients: number[];
  l2: number;
  /** logit at the training means of all encoded columns */
  baselineLogit: number;
  iterations: number;
  converged: boolean;
  trainingRows: number;
}

/** The level a missing categorical value is encoded as, so "we don't know" can carry its own risk. */
export const MISSING_LEVEL = '(missing)';

const DEFAULT_MAX_ITERATIONS = 100;
const DEFAULT_TOLERANCE = 1e-10;
const MAX_STEP_HALVINGS = 60;
/**
 * Relative Levenberg damping added to the Newton system. It only scales the step, never moves the
 * fixed point (the gradient is exact), and it keeps Cholesky working when the Hessian is singular:
 * full one-hot encoding with l2 = 0 (levels sum to the intercept) or constant columns.
 */
const DAMPING = 1e-10;
/** With l2 = 0, a penalised deviance this small (per unit weight) means perfect separation: no finite optimum. */
const SEPARATION_DEVIANCE = 1e-12;

/**
 * Fits the model. Columns are standardised with weighted training statistics so the penalty treats
 * features alike whatever their units; coefficients are reported on that scale (see `rawCoefficients`).
 * Throws a RangeError on empty input, labels other than 0/1, negative or non-finite weights,
 * no positives or no negatives (by weight), duplicate feature names or bad options.
 */
export function fitLogisticRegression(examples: TrainingExample[], spec: FeatureSpec, options: FitOptions): LogisticModel {
  validateSpec(spec);
  const { l2, maxIterations, tolerance } = validateOptions(options);
  const weights = validateExamples(examples);
  const columns = buildColumns(examples, weights, spec);
  const skeleton = { spec: { numeric: [...spec.numeric], categorical: [...spec.categorical] }, columns };
  const design = examples.map((example) => standardiseRow(skeleton, example.features));
  const labels = examples.map((example) => example.label);
  const fit = runIrls(design, labels, weights, { l2, maxIterations, tolerance });
  const coefficients = fit.beta.slice(1);
  const baselineLogit = fit.beta[0] + columns.reduce((sum, column, j) => sum + (coefficients[j] * (column.mean - column.center)) / column.scale, 0);
  return {
    ...skeleton,
    intercept: fit.beta[0],
    coefficients,
    l2,
    baselineLogit,
    iterations: fit.iterations,
    converged: fit.converged,
    trainingRows: examples.length,
  };
}

/**
 * The raw encoded values of a row, one per model column, before standardisation. Numeric missing →
 * the training mean (and 1 in its `missing` column); categorical missing → the `(missing)` level;
 * a level not seen in training → 0 in all that feature's level columns.
 */
export function encodeRow(model: Pick<LogisticModel, 'columns'>, row: FeatureRow): number[] {
  return model.columns.map((column) => {
    const value = row[column.feature];
    switch (column.kind) {
      case 'numeric':
        return readNumber(value) ?? column.mean;
      case 'missing':
        return readNumber(value) === undefined ? 1 : 0;
      case 'level':
        return readLevel(value) === column.level ? 1 : 0;
    }
  });
}

/** The encoded row on the standardised scale the coefficients live on: (x − center) / scale. */
export function standardiseRow(model: Pick<LogisticModel, 'columns'>, row: FeatureRow): number[] {
  const raw = encodeRow(model, row);
  return model.columns.map((column, j) => (raw[j] - column.center) / column.scale);
}

/** The log-odds of a positive label for a row. */
export function predictLogit(model: LogisticModel, row: FeatureRow): number {
  return model.intercept + computeDotProduct(model.coefficients, standardiseRow(model, row));
}

/** The probability of a positive label for a row. */
export function predictProbability(model: LogisticModel, row: FeatureRow): number {
  return computeSigmoid(predictLogit(model, row));
}

/** A readable name for a column: `hp`, `hp[missing]`, `plan=pro`. */
export function labelColumn(column: EncodedColumn): string {
  if (column.kind === 'numeric') return column.feature;
  if (column.kind === 'missing') return `${column.feature}[missing]`;
  return `${column.feature}=${column.level}`;
}

/**
 * The coefficients mapped back to the raw encoded scale (per unit of the feature), as a statistician
 * would read them and as R's glm would print them: β_raw = β / scale, intercept_raw = intercept − Σ β c / s.
 */
export function rawCoefficients(model: LogisticModel): { intercept: number; coefficients: Record<string, number> } {
  let intercept = model.intercept;
  const coefficients: Record<string, number> = {};
  model.columns.forEach((column, j) => {
    const raw = model.coefficients[j] / column.scale;
    coefficients[labelColumn(column)] = raw;
    intercept -= raw * column.center;
  });
  return { intercept, coefficients };
}

/** 1 / (1 + e^−x) without overflow for large |x|. */
export function computeSigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** log(1 + e^x) without overflow for large x or loss of precision for very negative x. */
export function computeSoftplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** A usable number, or undefined for missing (null, undefined, NaN, ±∞, strings). Booleans count as 1/0. */
function readNumber(value: FeatureValue): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}

/** The category of a value: strings as-is, booleans as 'true'/'false', finite numbers as text; else `(missing)`. */
function readLevel(value: FeatureValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return MISSING_LEVEL;
}

function validateSpec(spec: FeatureSpec): void {
  const seen = new Set<string>();
  for (const feature of [...spec.numeric, ...spec.categorical]) {
    if (typeof feature !== 'string' || feature === '') throw new RangeError('fitLogisticRegression: feature names must be non-empty strings');
    if (seen.has(feature)) throw new RangeError(`fitLogisticRegression: feature "${feature}" is listed more than once`);
    seen.add(feature);
  }
}

function validateOptions(options: FitOptions): Required<FitOptions> {
  const { l2, maxIterations = DEFAULT_MAX_ITERATIONS, tolerance = DEFAULT_TOLERANCE } = options;
  if (!(Number.isFinite(l2) && l2 >= 0)) throw new RangeError(`fitLogisticRegression: l2 must be finite and >= 0 (l2=${l2})`);
  if (!(Number.isInteger(maxIterations) && maxIterations >= 1)) {
    throw new RangeError(`fitLogisticRegression: maxIterations must be a whole number >= 1 (maxIterations=${maxIterations})`);
  }
  if (!(Number.isFinite(tolerance) && tolerance > 0)) throw new RangeError(`fitLogisticRegression: tolerance must be finite and > 0 (tolerance=${tolerance})`);
  return { l2, maxIterations, tolerance };
}

/** The sample weights, after checking labels and weights and that both classes carry weight. */
function validateExamples(examples: TrainingExample[]): number[] {
  if (examples.length === 0) throw new RangeError('fitLogisticRegression: no training examples');
  let positive = 0;
  let negative = 0;
  const weights = examples.map((example, i) => {
    if (example.label !== 0 && example.label !== 1) throw new RangeError(`fitLogisticRegression: label must be 0 or 1 (row ${i} has ${String(example.label)})`);
    const weight = example.weight ?? 1;
    if (!(Number.isFinite(weight) && weight >= 0)) throw new RangeError(`fitLogisticRegression: weight must be finite and >= 0 (row ${i} has ${weight})`);
    if (example.label === 1) positive += weight;
    else negative += weight;
    return weight;
  });
  if (!(positive > 0)) throw new RangeError('fitLogisticRegression: no positive examples (label 1 with weight > 0)');
  if (!(negative > 0)) throw new RangeError('fitLogisticRegression: no negative examples (label 0 with weight > 0)');
  return weights;
}

/**
 * The design columns, in spec order: per numeric feature its value column, plus a `missing` column if
 * any weighted training row lacked it; per categorical feature one column per level seen (sorted, so
 * the layout does not depend on row order). Rows with weight 0 contribute nothing, not even levels.
 */
function buildColumns(examples: TrainingExample[], weights: number[], spec: FeatureSpec): EncodedColumn[] {
  const rows = examples.filter((_, i) => weights[i] > 0).map((example) => example.features);
  const rowWeights = weights.filter((weight) => weight > 0);
  const columns: EncodedColumn[] = [];
  for (const feature of spec.numeric) {
    const values = rows.map((row) => readNumber(row[feature]));
    let sum = 0;
    let total = 0;
    values.forEach((value, i) => {
      if (value === undefined) return;
      sum += rowWeights[i] * value;
      total += rowWeights[i];
    });
    const imputed = total > 0 ? sum / total : 0;
    columns.push({ feature, kind: 'numeric', ...summariseColumn(values.map((value) => value ?? imputed), rowWeights) });
    if (values.includes(undefined)) {
      columns.push({ feature, kind: 'missing', ...summariseColumn(values.map((value) => (value === undefined ? 1 : 0)), rowWeights) });
    }
  }
  for (const feature of spec.categorical) {
    const levels = rows.map((row) => readLevel(row[feature]));
    for (const level of [...new Set(levels)].sort(compareText)) {
      columns.push({ feature, kind: 'level', level, ...summariseColumn(levels.map((value) => (value === level ? 1 : 0)), rowWeights) });
    }
  }
  return columns;
}

/** Locale-independent ordering, so a fit is the same on every machine. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Weighted mean and population standard deviation. A constant column is centred on its exact value
 * with scale 1, so its standardised values are exactly 0 and its coefficient stays at 0.
 */
function summariseColumn(values: number[], weights: number[]): { center: number; scale: number; mean: number } {
  if (values.every((value) => value === values[0])) return { center: values[0], scale: 1, mean: values[0] };
  let total = 0;
  let sum = 0;
  values.forEach((value, i) => {
    total += weights[i];
    sum += weights[i] * value;
  });
  const mean = sum / total;
  let squares = 0;
  values.forEach((value, i) => {
    squares += weights[i] * (value - mean) ** 2;
  });
  const scale = Math.sqrt(squares / total);
  return { center: mean, scale: scale > 0 && Number.isFinite(scale) ? scale : 1, mean };
}

interface IrlsSettings {
  l2: number;
  maxIterations: number;
  tolerance: number;
}

interface IrlsResult {
  /** [intercept, β_1 … β_p] */
  beta: number[];
  iterations: number;
  converged: boolean;
}

/**
 * Newton's method on the penalised negative log-likelihood
 *   f(β) = Σ w_i log(1 + e^{∓η_i}) + λ/2 Σ_{j≥1} β_j²   (η = β_0 + z·β),
 * which is IRLS for the logistic link. Each step is halved until f does not increase, so the
 * penalised deviance (2f) never goes up. Stops when max |Δβ| or the relative change of f is below the
 * tolerance. On separable data with λ = 0 the optimum is at infinity: steps stay around 1, nothing
 * overflows (all terms use stable forms), and the fit ends at maxIterations with converged = false.
 */
function runIrls(design: number[][], labels: (0 | 1)[], weights: number[], settings: IrlsSettings): IrlsResult {
  const { l2, maxIterations, tolerance } = settings;
  const size = (design[0]?.length ?? 0) + 1;
  let totalWeight = 0;
  let positiveWeight = 0;
  weights.forEach((weight, i) => {
    totalWeight += weight;
    positiveWeight += weight * labels[i];
  });
  const rate = positiveWeight / totalWeight;
  let beta = new Array<number>(size).fill(0);
  beta[0] = Math.log(rate / (1 - rate));
  let eta = computeLinearPredictor(design, beta);
  let objective = computeObjective(eta, labels, weights, beta, l2);
  const isSeparated = (value: number) => l2 === 0 && value <= SEPARATION_DEVIANCE * totalWeight;

  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const step = solveNewtonStep(design, labels, weights, eta, beta, l2);
    const largestStep = Math.max(...step.map(Math.abs));
    let accepted: { beta: number[]; eta: number[]; objective: number; fraction: number } | undefined;
    for (let halving = 0, fraction = 1; halving <= MAX_STEP_HALVINGS; halving++, fraction /= 2) {
      const candidate = beta.map((value, j) => value - fraction * step[j]);
      const candidateEta = computeLinearPredictor(design, candidate);
      const candidateObjective = computeObjective(candidateEta, labels, weights, candidate, l2);
      if (candidateObjective <= objective) {
        accepted = { beta: candidate, eta: candidateEta, objective: candidateObjective, fraction };
        break;
      }
    }
    // No decrease along a descent direction of a convex function: numerically at the minimum.
    if (!accepted) return { beta, iterations: iteration, converged: !isSeparated(objective) };
    const relativeChange = (objective - accepted.objective) / Math.max(accepted.objective, Number.MIN_VALUE);
    beta = accepted.beta;
    eta = accepted.eta;
    objective = accepted.objective;
    if ((largestStep * accepted.fraction < tolerance || relativeChange < tolerance) && !isSeparated(objective)) {
      return { beta, iterations: iteration, converged: true };
    }
  }
  return { beta, iterations: maxIterations, converged: false };
}

/** The Newton step H⁻¹ g (to subtract from β) for f at the current β. */
function solveNewtonStep(design: number[][], labels: (0 | 1)[], weights: number[], eta: number[], beta: number[], l2: number): number[] {
  const size = beta.length;
  const gradient = new Array<number>(size).fill(0);
  const hessian = Array.from({ length: size }, () => new Array<number>(size).fill(0));
  design.forEach((z, i) => {
    const weight = weights[i];
    if (weight === 0) return;
    // p − y, computed without cancellation: 1 − p = σ(−η)
    const residual = weight * (labels[i] === 1 ? -computeSigmoid(-eta[i]) : computeSigmoid(eta[i]));
    const e = Math.exp(-Math.abs(eta[i]));
    const curvature = (weight * e) / ((1 + e) * (1 + e)); // w p (1 − p)
    for (let a = 0; a < size; a++) {
      const xa = a === 0 ? 1 : z[a - 1];
      gradient[a] += residual * xa;
      const row = hessian[a];
      for (let b = 0; b <= a; b++) row[b] += curvature * xa * (b === 0 ? 1 : z[b - 1]);
    }
  });
  let largestDiagonal = 0;
  for (let a = 0; a < size; a++) {
    if (a > 0) {
      gradient[a] += l2 * beta[a];
      hessian[a][a] += l2;
    }
    for (let b = 0; b < a; b++) hessian[b][a] = hessian[a][b];
    largestDiagonal = Math.max(largestDiagonal, hessian[a][a]);
  }
  const damping = Math.max(DAMPING * largestDiagonal, Number.MIN_VALUE);
  for (let a = 0; a < size; a++) hessian[a][a] += damping;
  return solveCholesky(hessian, gradient);
}

function computeLinearPredictor(design: number[][], beta: number[]): number[] {
  return design.map((z) => {
    let eta = beta[0];
    for (let j = 0; j < z.length; j++) eta += beta[j + 1] * z[j];
    return eta;
  });
}

/** Half the penalised deviance: Σ w log(1 + e^{−η}) for positives, Σ w log(1 + e^{η}) for negatives, plus λ/2 ‖β‖². */
function computeObjective(eta: number[], labels: (0 | 1)[], weights: number[], beta: number[], l2: number): number {
  let sum = 0;
  eta.forEach((value, i) => {
    if (weights[i] > 0) sum += weights[i] * computeSoftplus(labels[i] === 1 ? -value : value);
  });
  let penalty = 0;
  for (let j = 1; j < beta.length; j++) penalty += beta[j] * beta[j];
  return sum + (l2 / 2) * penalty;
}
