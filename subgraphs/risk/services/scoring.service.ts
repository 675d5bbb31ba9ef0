import type { EntityManager } from '../../common/orm';
import { explainPrediction } from '../domain/churn/explain';
import { buildFeatures, type FeatureOptions } from '../domain/churn/features';
import type { ProfileHistory } from '../domain/churn/history';
import type { LogisticModel } from '../domain/churn/logistic-regression';
import { PRIOR_MODEL_REF, scorePrior } from '../domain/churn/prior';
import { valueProfile, type LifetimeModelParams } from '../domain/lifetime/profile-value';
import { ModelKind, ModelVersion } from '../entities/model-version.entity';
import type { RiskModelRef, RiskReason, RiskScore } from '../entities/risk-score.entity';
import { ActivityService } from './activity.service';
import type { RiskService } from './risk.service';

/** What a trained churn model version stores (`ModelVersion.params`). */
export interface ChurnModelParams {
  model: LogisticModel;
  featureOptions: FeatureOptions;
}

/** Reasons kept with a score: the largest contributions. */
export const TOP_REASONS = 5;

export interface ChurnAssessment {
  probability: number;
  reasons: RiskReason[];
  model: RiskModelRef;
}

/** Scores one profile with the tenant's active models (or the prior), and records the result. */
export class ScoringService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly risk: RiskService,
  ) {}

  activeModel(kind: ModelKind): Promise<ModelVersion | null> {
    return this.em.findOne(ModelVersion, { tenantId: this.tenantId, kind, active: true });
  }

  async scoreProfile(profileId: string, now = new Date()): Promise<RiskScore> {
    const history = await new ActivityService(this.em, this.tenantId).historyOf(profileId);
    const [churnModel, lifetimeModel] = await Promise.all([this.activeModel(ModelKind.CHURN), this.activeModel(ModelKind.LIFETIME)]);
    const churn = assessChurn(history, now, churnModel);
    const value = lifetimeModel ? valueOf(history, now, lifetimeModel.params as unknown as LifetimeModelParams) : null;
    const clv = value?.clv ?? null;
    const { score } = await this.risk.record({
      profileId,
      kind: 'churn',
      probability: churn.probability,
      reasons: churn.reasons,
      model: churn.model,
      pAlive: value?.pAlive ?? null,
      clv: clv === null ? null : round2(clv),
      revenueAtRisk: clv === null ? null : round2(churn.probability * clv),
      scoredAt: now,
    });
    return score;
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Churn probability and reasons from the active model, or from the prior before there is one. */
export function assessChurn(history: ProfileHistory, now: Date, model: ModelVersion | null): ChurnAssessment {
  if (!model?.params) {
    const prior = scorePrior(history, now);
    return { probability: prior.probability, reasons: prior.factors.slice(0, TOP_REASONS), model: { ...PRIOR_MODEL_REF } };
  }
  const params = model.params as unknown as ChurnModelParams;
  const features = buildFeatures(history, now, params.featureOptions);
  const explanation = explainPrediction(params.model, features.values);
  const reasons = explanation.contributions
    .filter((c) => Math.abs(c.contribution) > 1e-9)
    .slice(0, TOP_REASONS)
    .map((c) => ({
      factor: c.feature,
      contribution: c.contribution,
      description: features.describe[c.feature] ?? c.feature,
      evidence: features.evidence[c.feature] ?? [],
    }));
  return { probability: explanation.probability, reasons, model: { id: model.id, version: model.version, name: model.kind } };
}

function valueOf(history: ProfileHistory, now: Date, params: LifetimeModelParams) {
  const purchases = history.events
    .filter((e) => e.name === params.purchaseEvent && e.timestamp.getTime() <= now.getTime())
    .map((e) => ({ at: e.timestamp, amount: e.revenue ?? 0 }));
  return valueProfile(params, purchases, now);
}
