import type { ClassifierMetrics } from './metrics';
import type { LogisticModel } from './logistic-regression';

/** What a trained classifier learned, in the platform's own words. */
export interface ModelQuality {
  /** False when the model cannot rank customers better than a coin (see `reasons`). */
  informative: boolean;
  /** Why it is not informative; empty when it is. */
  reasons: string[];
}

/** Options of `assessModelQuality`. */
export interface ModelQualityOptions {
  /** Fewest positive and negative training examples each (`RISK_MIN_CLASS_EXAMPLES`, default 20). */
  minClassExamples: number;
  /**
   * Held-out ROC AUC within this distance of 0.5 counts as no better than chance. Default 0.02:
   * on a few hundred held-out rows an AUC of 0.52 is within noise of 0.5.
   */
  aucMargin?: number;
}

/** A coefficient smaller than this (standardised scale) moves the log-odds by nothing that matters. */
const NULL_COEFFICIENT = 1e-6;

/**
 * Whether a fitted classifier learned anything: it did not when every coefficient is (near) zero
 * (every feature constant, or no signal at all), when the held-out ROC AUC is within `aucMargin` of
 * 0.5 (or there is no held-out AUC), or when either class has fewer than `minClassExamples`
 * training examples. Such a model still scores, but it must not be activated by accident.
 */
export function assessModelQuality(
  model: Pick<LogisticModel, 'coefficients'>,
  training: { positives: number; negatives: number },
  holdout: Pick<ClassifierMetrics, 'rocAuc'> | null,
  { minClassExamples, aucMargin = 0.02 }: ModelQualityOptions,
): ModelQuality {
  const reasons: string[] = [];
  if (model.coefficients.every((b) => Math.abs(b) < NULL_COEFFICIENT)) {
    reasons.push('every coefficient is zero: the features are constant or carry no signal');
  }
  const auc = holdout?.rocAuc;
  if (auc === undefined || !Number.isFinite(auc)) reasons.push('no held-out ROC AUC (the held-out rows have one class only)');
  else if (Math.abs(auc - 0.5) <= aucMargin) reasons.push(`held-out ROC AUC ${auc.toFixed(3)} is no better than chance (0.5 ± ${aucMargin})`);
  const { positives, negatives } = training;
  if (positives < minClassExamples || negatives < minClassExamples) {
    reasons.push(`${positives} positive and ${negatives} negative examples; at least ${minClassExamples} of each are needed`);
  }
  return { informative: reasons.length === 0, reasons };
}
