/**
 * Holdout evaluation of a churn classifier: ranking quality (ROC AUC, average precision, lift),
 * probability quality (log loss, Brier, calibration) and a seeded, stratified train/holdout split.
 * Everything is deterministic and returns plain numbers, so a model's report can be stored as JSON
 * next to it and compared across refits.
 */

import { createSeededRandom } from '../../../common/math/random';

/** One equal-width probability bin: what the model predicted on average versus what happened. */
export interface CalibrationBin {
  lower: number;
  upper: number;
  count: number;
  meanPredicted: number;
  observedRate: number;
}

export interface ClassifierMetrics {
  rows: number;
  positives: number;
  negatives: number;
  positiveRate: number;
  /** Mann–Whitney with ties as ½; NaN when only one class is present (ranking is undefined) */
  rocAuc: number;
  /** average precision (step-wise area under precision–recall); NaN without positives */
  prAuc: number;
  /** mean cross-entropy with probabilities clipped to [1e-15, 1 − 1e-15] */
  logLoss: number;
  brier: number;
  /** positive rate among the top 10 % by score (at least one row) / overall positive rate; NaN without positives */
  liftTopDecile: number;
  /** equal-width bins over [0, 1]; empty bins are omitted */
  calibration: CalibrationBin[];
}

const LOG_LOSS_EPSILON = 1e-15;

/**
 * All holdout metrics at once. Scores tied with each other are treated as one threshold everywhere
 * (AUC counts tied pairs as ½, average precision steps once per distinct score, and a tie straddling
 * the top-decile cut counts with its average positive rate), so results never depend on row order.
 * Throws a RangeError on empty or mismatched input, labels other than 0/1, probabilities outside
 * [0, 1] or a bin count that is not a whole number >= 1.
 */
export function evaluateClassifier(labels: ReadonlyArray<0 | 1>, probabilities: ReadonlyArray<number>, bins = 10): ClassifierMetrics {
  validateInputs(labels, probabilities, bins);
  const rows = labels.length;
  let positives = 0;
  let logLoss = 0;
  let brier = 0;
  labels.forEach((label, i) => {
    // clip the probability given to what happened, so a confident miss costs −log(1e-15) ≈ 34.5 in both directions
    const observed = label === 1 ? probabilities[i] : 1 - probabilities[i];
    positives += label;
    logLoss -= Math.log(Math.min(1 - LOG_LOSS_EPSILON, Math.max(LOG_LOSS_EPSILON, observed)));
    brier += (probabilities[i] - label) ** 2;
  });
  const negatives = rows - positives;
  const positiveRate = positives / rows;
  const groups = groupByScoreDescending(labels, probabilities);
  return {
    rows,
    positives,
    negatives,
    positiveRate,
    rocAuc: computeRocAuc(groups, positives, negatives),
    prAuc: computeAveragePrecision(groups, positives),
    logLoss: logLoss / rows,
    brier: brier / rows,
    liftTopDecile: computeTopDecileLift(groups, rows, positiveRate),
    calibration: binCalibration(labels, probabilities, bins),
  };
}

/**
 * A deterministic train/holdout split: the same items, fraction and seed always give the same split.
 * With `labelOf`, each class is shuffled separately and contributes round(fraction × classSize) rows
 * to the holdout, so a rare churn class is not left out of either side by chance. Both outputs keep
 * the input order. The seed is used as a 32-bit integer (mulberry32).
 */
export function splitHoldout<T>(items: readonly T[], fraction: number, seed: number, labelOf?: (t: T) => 0 | 1): { train: T[]; holdout: T[] } {
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`splitHoldout: fraction must be within [0, 1] (fraction=${fraction})`);
  if (!Number.isInteger(seed)) throw new RangeError(`splitHoldout: seed must be a whole number (seed=${seed})`);
  const random = createSeededRandom(seed);
  const strata: number[][] = labelOf ? [[], []] : [[]];
  items.forEach((item, i) => {
    if (!labelOf) {
      strata[0].push(i);
      return;
    }
    const label = labelOf(item);
    if (label !== 0 && label !== 1) throw new RangeError(`splitHoldout: labelOf must return 0 or 1 (item ${i} gave ${String(label)})`);
    strata[label].push(i);
  });
  const inHoldout = new Set<number>();
  for (const stratum of strata) {
    shuffleInPlace(stratum, random);
    for (const index of stratum.slice(0, Math.round(fraction * stratum.length))) inHoldout.add(index);
  }
  const train: T[] = [];
  const holdout: T[] = [];
  items.forEach((item, i) => (inHoldout.has(i) ? holdout : train).push(item));
  return { train, holdout };
}

/** Rows sharing one score, highest score first. */
interface ScoreGroup {
  score: number;
  count: number;
  positives: number;
}

function validateInputs(labels: ReadonlyArray<0 | 1>, probabilities: ReadonlyArray<number>, bins: number): void {
  if (labels.length === 0) throw new RangeError('evaluateClassifier: no rows');
  if (labels.length !== probabilities.length) {
    throw new RangeError(`evaluateClassifier: ${labels.length} labels but ${probabilities.length} probabilities`);
  }
  if (!(Number.isInteger(bins) && bins >= 1)) throw new RangeError(`evaluateClassifier: bins must be a whole number >= 1 (bins=${bins})`);
  labels.forEach((label, i) => {
    if (label !== 0 && label !== 1) throw new RangeError(`evaluateClassifier: label must be 0 or 1 (row ${i} has ${String(label)})`);
    const p = probabilities[i];
    if (!(p >= 0 && p <= 1)) throw new RangeError(`evaluateClassifier: probability must be within [0, 1] (row ${i} has ${p})`);
  });
}

function groupByScoreDescending(labels: ReadonlyArray<0 | 1>, probabilities: ReadonlyArray<number>): ScoreGroup[] {
  const order = labels.map((_, i) => i).sort((a, b) => probabilities[b] - probabilities[a]);
  const groups: ScoreGroup[] = [];
  for (const i of order) {
    const last = groups[groups.length - 1];
    if (last && last.score === probabilities[i]) {
      last.count++;
      last.positives += labels[i];
    } else {
      groups.push({ score: probabilities[i], count: 1, positives: labels[i] });
    }
  }
  return groups;
}

/**
 * P(score of a random positive > score of a random negative) + ½ P(tie), via midranks:
 * (R₊ − n₊(n₊ + 1)/2) / (n₊ n₋). NaN with one class only: there is no pair to rank.
 */
function computeRocAuc(groups: ScoreGroup[], positives: number, negatives: number): number {
  if (positives === 0 || negatives === 0) return Number.NaN;
  let rankSum = 0;
  let below = 0; // rows with a lower score; groups are visited from the lowest score up
  for (let g = groups.length - 1; g >= 0; g--) {
    const { count, positives: groupPositives } = groups[g];
    const midrank = below + (count + 1) / 2;
    rankSum += groupPositives * midrank;
    below += count;
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

/** Σ (R_k − R_{k−1}) P_k over distinct score thresholds, highest first (scikit-learn's definition). */
function computeAveragePrecision(groups: ScoreGroup[], positives: number): number {
  if (positives === 0) return Number.NaN;
  let truePositives = 0;
  let predicted = 0;
  let sum = 0;
  for (const group of groups) {
    truePositives += group.positives;
    predicted += group.count;
    sum += (group.positives / positives) * (truePositives / predicted);
  }
  return sum;
}

/** Positive rate of the top ceil(n / 10) rows by score over the overall rate; a boundary tie counts at its mean rate. */
function computeTopDecileLift(groups: ScoreGroup[], rows: number, positiveRate: number): number {
  if (positiveRate === 0) return Number.NaN;
  const top = Math.max(1, Math.ceil(rows / 10));
  let taken = 0;
  let positives = 0;
  for (const group of groups) {
    const take = Math.min(group.count, top - taken);
    positives += (group.positives * take) / group.count;
    taken += take;
    if (taken >= top) break;
  }
  return positives / top / positiveRate;
}

/** Equal-width bins over [0, 1]; a probability of exactly 1 falls into the last bin. */
function binCalibration(labels: ReadonlyArray<0 | 1>, probabilities: ReadonlyArray<number>, bins: number): CalibrationBin[] {
  const counts = new Array<number>(bins).fill(0);
  const predicted = new Array<number>(bins).fill(0);
  const observed = new Array<number>(bins).fill(0);
  probabilities.forEach((p, i) => {
    const bin = Math.min(bins - 1, Math.floor(p * bins));
    counts[bin]++;
    predicted[bin] += p;
    observed[bin] += labels[i];
  });
  const result: CalibrationBin[] = [];
  for (let bin = 0; bin < bins; bin++) {
    if (counts[bin] === 0) continue;
    result.push({ lower: bin / bins, upper: (bin + 1) / bins, count: counts[bin], meanPredicted: predicted[bin] / counts[bin], observedRate: observed[bin] / counts[bin] });
  }
  return result;
}

/** Fisher–Yates. */
function shuffleInPlace(values: number[], random: () => number): void {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
}
