/**
 * Fits a classifier on part of the groups (profiles, journey instances) and measures it on the
 * rest: a group's rows are alike (snapshots of one customer), so they all stay on one side of the
 * split, which is stratified by whether a group has any positive row.
 */
import { fitLogisticRegression, predictProbability, type FeatureSpec, type LogisticModel, type TrainingExample } from './logistic-regression';
import { evaluateClassifier, splitHoldout, type ClassifierMetrics } from './metrics';

export interface HoldoutFit {
  model: LogisticModel;
  /** Class balance of all rows, the split, and quality on the held-out groups (null when none was held out). */
  report: {
    rows: number;
    positives: number;
    negatives: number;
    positiveRate: number;
    trainingRows: number;
    holdoutRows: number;
    groups: number;
    converged: boolean;
    iterations: number;
    holdout: ClassifierMetrics | null;
  };
}

export function fitWithHoldout<R extends TrainingExample>(
  rows: readonly R[],
  groupOf: (row: R) => string,
  spec: FeatureSpec,
  options: { holdoutFraction: number; l2: number; seed: number },
): HoldoutFit {
  const positives = rows.filter((r) => r.label === 1).length;
  const negatives = rows.length - positives;
  if (positives === 0 || negatives === 0) throw new RangeError(`${positives} positive and ${negatives} negative examples; both classes are needed`);
  const byGroup = new Map<string, R[]>();
  for (const row of rows) {
    const group = byGroup.get(groupOf(row));
    if (group) group.push(row);
    else byGroup.set(groupOf(row), [row]);
  }
  const { train, holdout } = splitHoldout([...byGroup.keys()], options.holdoutFraction, options.seed, (id) =>
    byGroup.get(id)!.some((r) => r.label === 1) ? 1 : 0,
  );
  const trainRows = train.flatMap((id) => byGroup.get(id)!);
  const holdoutRows = holdout.flatMap((id) => byGroup.get(id)!);
  const model = fitLogisticRegression(trainRows, spec, { l2: options.l2 });
  return {
    model,
    report: {
      rows: rows.length,
      positives,
      negatives,
      positiveRate: positives / rows.length,
      trainingRows: trainRows.length,
      holdoutRows: holdoutRows.length,
      groups: byGroup.size,
      converged: model.converged,
      iterations: model.iterations,
      holdout: holdoutRows.length
        ? evaluateClassifier(
            holdoutRows.map((r) => r.label),
            holdoutRows.map((r) => predictProbability(model, r.features)),
          )
        : null,
    },
  };
}
