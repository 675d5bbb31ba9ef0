import type { EntityManager } from '../../common/orm';
import { assessChurnFrom, explainWith, TOP_REASONS, type ChurnModelParams } from '../domain/churn/assess';
import { hasOpenJourneyIn } from '../domain/churn/feature-state';
import type { LogisticModel } from '../domain/churn/logistic-regression';
import { journeyFeatures, typicalStepKey, type JourneySnapshotInput } from '../domain/dropoff/journey-features';
import { scoreDropOffPrior } from '../domain/dropoff/prior';
import { PRIOR_MODEL_REF } from '../domain/churn/prior';
import { purchaseDaysOf, type ProfileSummary } from '../domain/churn/summary';
import { valueProfile, type LifetimeModelParams } from '../domain/lifetime/profile-value';
import { ModelKind, ModelVersion } from '../entities/model-version.entity';
import type { RiskScore } from '../entities/risk-score.entity';
import { ActivityService } from './activity.service';
import { activeModels } from './active-models';
import { FeatureStateService } from './feature-state.service';
import type { RecordScoreInput, RiskService } from './risk.service';

export { assessChurn, assessChurnFrom, TOP_REASONS, type ChurnAssessment, type ChurnModelParams } from '../domain/churn/assess';

/** What a trained drop-off model version stores: the classifier and the typical time per (journey, step). */
export interface DropOffModelParams {
  model: LogisticModel;
  typicalStepMs: Record<string, number>;
}

/** Profiles scored per read of their feature states (bounds the rows one chunk holds in memory). */
export const PROFILES_PER_SCORE_CHUNK = 100;

/** Scores one profile with the tenant's active models (or the prior), and records the result. */
export class ScoringService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly risk: RiskService,
  ) {}

  async activeModel(kind: ModelKind): Promise<ModelVersion | null> {
    return (await activeModels(this.em, this.tenantId))[kind];
  }

  /** Scores one profile (see `scoreProfiles`) and returns its current churn score. */
  async scoreProfile(profileId: string, now = new Date()): Promise<RiskScore> {
    return (await this.scoreProfiles([profileId], now)).get(profileId)!;
  }

  /**
   * Scores profiles as they are at `now`, set-based: per chunk of `PROFILES_PER_SCORE_CHUNK`, one
   * read of their incremental feature states (their histories only where a state cannot serve,
   * see `FeatureStateService.summaries`), churn and value in memory, and the new scores
   * appended in bulk (`RiskService.recordMany`), then the chunk's open journeys likewise.
   * Returns each profile's current churn score.
   */
  async scoreProfiles(profileIds: readonly string[], now = new Date()): Promise<Map<string, RiskScore>> {
    const ids = [...new Set(profileIds)];
    const scores = new Map<string, RiskScore>();
    for (let i = 0; i < ids.length; i += PROFILES_PER_SCORE_CHUNK) {
      if (i > 0) await new Promise(setImmediate); // let the event loop breathe between chunks
      const chunk = ids.slice(i, i + PROFILES_PER_SCORE_CHUNK);
      const models = await activeModels(this.em, this.tenantId);
      const churnModel = models[ModelKind.CHURN];
      const lifetime = models[ModelKind.LIFETIME]?.params as unknown as LifetimeModelParams | undefined;
      const summaries = await new FeatureStateService(this.em, this.tenantId).summaries(chunk, now, purchaseEventsOf(churnModel, lifetime ?? null));
      const inputs = chunk.map((profileId) => churnScoreInput(profileId, summaries.get(profileId)!, now, churnModel, lifetime ?? null));
      for (const [profileId, score] of await this.risk.recordMany(inputs, now)) scores.set(profileId, score);
      // the summary already says which journeys are open: skip their queries when none is
      await this.scoreJourneys(
        chunk.filter((profileId) => hasOpenJourneyIn(summaries.get(profileId)!)),
        now,
      );
    }
    return scores;
  }

  /**
   * Drop-off risk of each open journey instance of these profiles, from the active drop-off model
   * or the documented prior, set-based: one read of their snapshots (and retry loops), one of the
   * histories' heads, one multi-row append (`RiskService.recordMany`). Typical step times come
   * from the model (before one, the ratio is unknown). Returns the current score per instance.
   */
  async scoreJourneys(profileIds: readonly string[], now: Date): Promise<Map<string, RiskScore>> {
    if (profileIds.length === 0) return new Map();
    const snapshots = await new ActivityService(this.em, this.tenantId).journeySnapshots(profileIds, now);
    const open = [...snapshots.values()]
      .map((list) => latestAt(list, now))
      .filter((s): s is JourneySnapshotInput => s !== null && (s.state === 'active' || s.state === 'stalled'));
    if (open.length === 0) return new Map();
    const model = await this.activeModel(ModelKind.DROP_OFF);
    const params = model?.params as unknown as DropOffModelParams | undefined;
    const inputs: RecordScoreInput[] = open.map((instance) => {
      const typical = params?.typicalStepMs[typicalStepKey(instance.journeyId, instance.stepIndex)] ?? null;
      const features = journeyFeatures(instance, now, typical);
      const assessed = params ? explainWith(params.model, features.values, features.describe, {}) : null;
      const prior = assessed ? null : scoreDropOffPrior(features);
      return {
        profileId: instance.profileId!,
        kind: 'drop_off',
        journeyInstanceId: instance.instanceId,
        probability: assessed?.probability ?? prior!.probability,
        reasons: assessed?.reasons ?? prior!.factors.slice(0, TOP_REASONS),
        model: model && params ? { id: model.id, version: model.version, name: model.kind } : { ...PRIOR_MODEL_REF },
        scoredAt: now,
      };
    });
    return this.risk.recordMany(inputs, now);
  }
}

/** The latest snapshot at or before `now`, or null. */
function latestAt(list: readonly JourneySnapshotInput[], now: Date): JourneySnapshotInput | null {
  let latest: JourneySnapshotInput | null = null;
  for (const s of list) if (s.observedAt.getTime() <= now.getTime() && (!latest || s.observedAt.getTime() >= latest.observedAt.getTime())) latest = s;
  return latest;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The purchase events the active models read. */
function purchaseEventsOf(churnModel: ModelVersion | null, lifetime: LifetimeModelParams | null): string[] {
  const churn = churnModel?.params as unknown as ChurnModelParams | undefined;
  return [...new Set([...(churn ? [churn.featureOptions.purchaseEvent] : []), ...(lifetime ? [lifetime.purchaseEvent] : [])])];
}

/** The churn score to record for a profile: the assessment, and its value when a lifetime model is fitted. */
function churnScoreInput(profileId: string, summary: ProfileSummary, now: Date, churnModel: ModelVersion | null, lifetime: LifetimeModelParams | null): RecordScoreInput {
  const churn = assessChurnFrom(summary, now, churnModel);
  const value = lifetime ? valueProfile(lifetime, purchaseDaysOf(summary, lifetime.purchaseEvent), now) : null;
  const clv = value?.clv ?? null;
  return {
    profileId,
    kind: 'churn',
    probability: churn.probability,
    reasons: churn.reasons,
    model: churn.model,
    pAlive: value?.pAlive ?? null,
    clv: clv === null ? null : round2(clv),
    revenueAtRisk: clv === null ? null : round2(churn.probability * clv),
    scoredAt: now,
  };
}
