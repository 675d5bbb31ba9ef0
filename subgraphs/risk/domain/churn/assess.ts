import { explainPrediction } from './explain';
import { featuresFromSummary, type FeatureOptions } from './features';
import type { ProfileHistory } from './history';
import type { FeatureRow, LogisticModel } from './logistic-regression';
import { PRIOR_MODEL_REF, scorePriorFromSummary } from './prior';
import { summarizeHistory, type ProfileSummary } from './summary';

/** Reasons kept with a score: the largest contributions. */
export const TOP_REASONS = 5;

/** What a trained churn model version stores (`ModelVersion.params`). */
export interface ChurnModelParams {
  model: LogisticModel;
  featureOptions: FeatureOptions;
}

/** One reason behind a score: its share of the log-odds, in plain words, with the ids behind it. */
export interface ScoreReason {
  factor: string;
  contribution: number;
  description: string;
  evidence: string[];
}

/** The model behind a score; `name` is `prior` (id and version null) before a trained model. */
export interface ScoreModelRef {
  id: string | null;
  version: number | null;
  name: string;
}

/** A stored model version as the assessment needs it (`ModelVersion` fits). */
export interface StoredChurnModel {
  id: string;
  version: number;
  kind: string;
  /** `ChurnModelParams` once trained; null before. */
  params: Record<string, unknown> | null;
}

export interface ChurnAssessment {
  probability: number;
  reasons: ScoreReason[];
  model: ScoreModelRef;
}

/**
 * Probability and the `TOP_REASONS` largest non-zero contributions of a trained classifier, each
 * with its plain words (`describe`, else the feature name) and evidence ids.
 */
export function explainWith(
  model: LogisticModel,
  values: FeatureRow,
  describe: Readonly<Record<string, string>>,
  evidence: Readonly<Record<string, string[]>>,
): { probability: number; reasons: ScoreReason[] } {
  const explanation = explainPrediction(model, values);
  const reasons = explanation.contributions
    .filter((c) => Math.abs(c.contribution) > 1e-9)
    .slice(0, TOP_REASONS)
    .map((c) => ({ factor: c.feature, contribution: c.contribution, description: describe[c.feature] ?? c.feature, evidence: evidence[c.feature] ?? [] }));
  return { probability: explanation.probability, reasons };
}

/**
 * Churn probability and reasons of a profile at `now`: from the trained model when there is one
 * (features built with the options it was trained with), else from the documented prior.
 */
export function assessChurn(history: ProfileHistory, now: Date, model: StoredChurnModel | null): ChurnAssessment {
  const params = model?.params as unknown as ChurnModelParams | undefined;
  return assessChurnFrom(summarizeHistory(history, now, params ? [params.featureOptions.purchaseEvent] : []), now, model);
}

/** `assessChurn` from the profile's summary as of `now` (one holding the model's purchase event). */
export function assessChurnFrom(summary: ProfileSummary, now: Date, model: StoredChurnModel | null): ChurnAssessment {
  if (!model?.params) {
    const prior = scorePriorFromSummary(summary, now);
    return { probability: prior.probability, reasons: prior.factors.slice(0, TOP_REASONS), model: { ...PRIOR_MODEL_REF } };
  }
  const params = model.params as unknown as ChurnModelParams;
  const features = featuresFromSummary(summary, now, params.featureOptions);
  const { probability, reasons } = explainWith(params.model, features.values, features.describe, features.evidence);
  return { probability, reasons, model: { id: model.id, version: model.version, name: model.kind } };
}
