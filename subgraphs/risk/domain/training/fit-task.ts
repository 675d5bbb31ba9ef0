/**
 * The CPU-heavy part of a training as plain data in and plain data out, so that it can run on a
 * worker thread (`workers/fit-thread.ts`): the rows already read from SQL go in, the fitted
 * parameters and their quality come out. Everything here survives `postMessage`'s structured
 * clone (objects, arrays, numbers, strings, Dates; no functions or classes).
 */
import { fitWithHoldout, type HoldoutFit } from '../churn/fit-with-holdout';
import type { FeatureSpec, TrainingExample } from '../churn/logistic-regression';
import { assessModelQuality, type ModelQuality } from '../churn/model-quality';
import { fitBgNbd, type BgNbdFit } from '../lifetime/bg-nbd';
import { fitGammaGamma, type GammaGammaFit } from '../lifetime/gamma-gamma';
import { checkLifetimeHoldout, type LifetimeHoldoutCheck } from '../lifetime/holdout-check';
import type { RfmRow, TimeUnit } from '../lifetime/rfm';

/** A logistic-regression fit with a held-out split (churn, drop-off). */
export interface ClassifierFitTask {
  kind: 'classifier';
  rows: TrainingExample[];
  /** The row field naming its group (`profileId`, `instanceId`): a group's rows stay on one side of the split. */
  groupBy: string;
  spec: FeatureSpec;
  options: { holdoutFraction: number; l2: number; seed: number };
  /** Fewest examples of each class for an informative model (`RISK_MIN_CLASS_EXAMPLES`). */
  minClassExamples: number;
}

/** BG/NBD, then Gamma-Gamma on the repeat buyers, then the check on the period after calibration. */
export interface LifetimeFitTask {
  kind: 'lifetime';
  rfm: RfmRow[];
  /** Purchases after the calibration end (for `checkLifetimeHoldout`). */
  later: { customerId: string; at: Date }[];
  calibrationEnd: Date;
  timeUnit: TimeUnit;
  /** Fewest repeat buyers Gamma-Gamma is fitted on; below it the spend model is null. */
  minRepeatBuyers: number;
}

export type FitTask = ClassifierFitTask | LifetimeFitTask;

export interface ClassifierFitResult {
  kind: 'classifier';
  fit: HoldoutFit;
  quality: ModelQuality;
}

export interface LifetimeFitResult {
  kind: 'lifetime';
  bgNbd: BgNbdFit;
  gammaGamma: GammaGammaFit | null;
  holdout: LifetimeHoldoutCheck | null;
}

export type FitResult = ClassifierFitResult | LifetimeFitResult;

/**
 * Runs one fit. Throws what the fitting functions throw: a RangeError for data that cannot give a
 * model (e.g. one class only after the split), any other error for a bug.
 */
export function runFitTask(task: FitTask): FitResult {
  switch (task.kind) {
    case 'classifier': {
      const fit = fitWithHoldout(task.rows, (row) => String((row as unknown as Record<string, unknown>)[task.groupBy]), task.spec, task.options);
      const quality = assessModelQuality(fit.model, fit.report, fit.report.holdout, { minClassExamples: task.minClassExamples });
      return { kind: 'classifier', fit, quality };
    }
    case 'lifetime': {
      const bgNbd = fitBgNbd(task.rfm);
      const spenders = task.rfm.filter((r) => r.x > 0 && r.monetary > 0).map((r) => ({ x: r.x, monetary: r.monetary }));
      const gammaGamma = spenders.length >= task.minRepeatBuyers ? fitGammaGamma(spenders) : null;
      const holdout = checkLifetimeHoldout(task.later, task.rfm, bgNbd.params, task.calibrationEnd, task.timeUnit);
      return { kind: 'lifetime', bgNbd, gammaGamma, holdout };
    }
    default:
      return assertNever(task);
  }
}

function assertNever(x: never): never {
  throw new RangeError(`runFitTask: unknown task kind ${String((x as { kind?: unknown }).kind)}`);
}
