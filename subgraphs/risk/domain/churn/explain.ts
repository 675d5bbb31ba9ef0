import { computeSigmoid, standardiseRow, type FeatureRow, type LogisticModel } from './logistic-regression';

/** How much one original feature moves the log-odds away from the population baseline. */
export interface Contribution {
  feature: string;
  contribution: number;
}

export interface Explanation {
  logit: number;
  probability: number;
  /** the logit of a customer at the training means of every encoded column */
  baselineLogit: number;
  baselineProbability: number;
  /** one per original feature (spec order: numeric, then categorical), sorted by |contribution| descending; ties keep spec order */
  contributions: Contribution[];
}

/**
 * Why the model scores this row as it does. The logit is linear in the encoded columns, so the
 * decomposition is exact rather than approximate (no sampling, unlike SHAP on non-linear models):
 * column j adds β_j (z_j − z̄_j), with z the standardised value and z̄ the standardised training mean,
 * and the columns of one feature (its one-hot levels, its missing indicator) are summed into one
 * entry, because "plan" is what a person asks about, not "plan=pro". Hence
 * Σ contributions = logit − baselineLogit up to floating-point rounding.
 */
export function explainPrediction(model: LogisticModel, row: FeatureRow): Explanation {
  const standardised = standardiseRow(model, row);
  const byFeature = new Map<string, number>();
  for (const feature of [...model.spec.numeric, ...model.spec.categorical]) byFeature.set(feature, 0);
  let logit = model.intercept;
  model.columns.forEach((column, j) => {
    const beta = model.coefficients[j];
    logit += beta * standardised[j];
    const standardisedMean = (column.mean - column.center) / column.scale;
    byFeature.set(column.feature, (byFeature.get(column.feature) ?? 0) + beta * (standardised[j] - standardisedMean));
  });
  const contributions = [...byFeature].map(([feature, contribution]) => ({ feature, contribution }));
  contributions.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  return {
    logit,
    probability: computeSigmoid(logit),
    baselineLogit: model.baselineLogit,
    baselineProbability: computeSigmoid(model.baselineLogit),
    contributions,
  };
}
