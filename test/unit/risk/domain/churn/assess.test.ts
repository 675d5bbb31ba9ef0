import { assessChurn, explainWith, TOP_REASONS } from '../../../../../subgraphs/risk/domain/churn/assess';
import { explainPrediction } from '../../../../../subgraphs/risk/domain/churn/explain';
import { buildFeatures, featureSpec, type FeatureOptions } from '../../../../../subgraphs/risk/domain/churn/features';
import { DAY_MS, type ProfileHistory } from '../../../../../subgraphs/risk/domain/churn/history';
import { fitLogisticRegression, type TrainingExample } from '../../../../../subgraphs/risk/domain/churn/logistic-regression';
import { PRIOR_MODEL_REF, scorePrior } from '../../../../../subgraphs/risk/domain/churn/prior';

const NOW = new Date('2024-06-30T00:00:00.000Z');
const ago = (days: number) => new Date(NOW.getTime() - days * DAY_MS);
const OPTIONS: FeatureOptions = { purchaseEvent: 'Order Completed', events: [], signalTypes: ['retry_loop'], traits: [] };

/** A customer with events `daysAgo` and one retry-loop signal `signalAgo` days before NOW. */
function historyOf(id: string, daysAgo: number[], signalAgo: number | null): ProfileHistory {
  return {
    profileId: id,
    events: daysAgo.map((d, i) => ({ id: `${id}-e${i}`, type: 'track', name: i % 3 ? 'Page Viewed' : 'Order Completed', timestamp: ago(d), revenue: i % 3 ? null : 20 })),
    signals: signalAgo === null ? [] : [{ id: `${id}-s`, type: 'retry_loop', severity: 0.8, detectedAt: ago(signalAgo), summary: 'retries' }],
    journeys: [],
  };
}

/** A model trained on synthetic customers: the quiet ones with signals churn. */
function trainedModel() {
  const examples: TrainingExample[] = Array.from({ length: 40 }, (_, i) => {
    const quiet = i % 2 === 0;
    const history = historyOf(`p${i}`, quiet ? [80 + (i % 7), 60] : [1 + (i % 5), 4, 9, 20], quiet ? 5 + (i % 3) : null);
    return { features: buildFeatures(history, NOW, OPTIONS).values, label: quiet !== (i % 10 === 0) ? 1 : 0, weight: 1 };
  });
  return fitLogisticRegression(examples, featureSpec(OPTIONS), { l2: 1 });
}

describe('assessChurn', () => {
  const history = historyOf('x', [70, 65], 3);

  it('scores with the prior, and names it, before a model is trained', () => {
    const prior = scorePrior(history, NOW);
    for (const model of [null, { id: 'm1', version: 1, kind: 'churn', params: null }]) {
      const assessed = assessChurn(history, NOW, model);
      expect(assessed.probability).toBe(prior.probability);
      expect(assessed.reasons).toEqual(prior.factors.slice(0, TOP_REASONS));
      expect(assessed.model).toEqual({ ...PRIOR_MODEL_REF });
    }
  });

  it('scores with the trained model and names its version', () => {
    const model = trainedModel();
    const assessed = assessChurn(history, NOW, { id: 'm2', version: 3, kind: 'churn', params: { model, featureOptions: OPTIONS } });
    expect(assessed.probability).toBeCloseTo(explainPrediction(model, buildFeatures(history, NOW, OPTIONS).values).probability, 12);
    expect(assessed.model).toEqual({ id: 'm2', version: 3, name: 'churn' });
    expect(assessed.reasons.length).toBeGreaterThan(0);
    expect(assessed.reasons.length).toBeLessThanOrEqual(TOP_REASONS);
  });

  it('rates a quiet customer with a recent signal above an active one', () => {
    const params = { model: trainedModel(), featureOptions: OPTIONS };
    const model = { id: 'm3', version: 1, kind: 'churn', params };
    const quiet = assessChurn(historyOf('q', [85, 60], 4), NOW, model).probability;
    const active = assessChurn(historyOf('a', [1, 3, 8, 15], null), NOW, model).probability;
    expect(quiet).toBeGreaterThan(active);
  });
});

describe('explainWith', () => {
  it('keeps the largest non-zero contributions with their words and evidence, at most TOP_REASONS', () => {
    const model = trainedModel();
    const features = buildFeatures(historyOf('x', [70, 65], 3), NOW, OPTIONS);
    const { probability, reasons } = explainWith(model, features.values, features.describe, features.evidence);
    const expected = explainPrediction(model, features.values).contributions.filter((c) => Math.abs(c.contribution) > 1e-9);
    expect(probability).toBeCloseTo(explainPrediction(model, features.values).probability, 12);
    expect(reasons.map((r) => r.factor)).toEqual(expected.slice(0, TOP_REASONS).map((c) => c.feature));
    for (const r of reasons) {
      expect(r.description).toBe(features.describe[r.factor] ?? r.factor);
      expect(r.evidence).toEqual(features.evidence[r.factor] ?? []);
    }
  });
});
