import type { EntityManager } from '../../common/orm';
import { assessChurn, explainWith, TOP_REASONS } from '../domain/churn/assess';
import { latestJourneyStates, type ProfileHistory } from '../domain/churn/history';
import type { LogisticModel } from '../domain/churn/logistic-regression';
import { journeyFeatures, typicalStepKey, type JourneySnapshotInput } from '../domain/dropoff/journey-features';
import { scoreDropOffPrior } from '../domain/dropoff/prior';
import { PRIOR_MODEL_REF } from '../domain/churn/prior';
import { valueProfile, type LifetimeModelParams } from '../domain/lifetime/profile-value';
import { ModelKind, ModelVersion } from '../entities/model-version.entity';
import type { RiskScore } from '../entities/risk-score.entity';
import { ActivityService } from './activity.service';
import { activeModels } from './active-models';
import type { RecordScoreInput, RiskService } from './risk.service';

export { assessChurn, TOP_REASONS, type ChurnAssessment, type ChurnModelParams } from '../domain/churn/assess';

/** What a trained drop-off model version stores: the classifier and the typical time per (journey, step). */
export interface DropOffModelParams {
  model: LogisticModel;
  typicalStepMs: Record<string, number>;
}

/** Profiles scored per read of their histories (bounds the rows one chunk holds in memory). */
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
   * read per activity table for all of them, churn and value in memory, and the new scores
   * appended in bulk (`RiskService.recordMany`); open journeys are scored profile by profile.
   * Returns each profile's current churn score.
   */
  async scoreProfiles(profileIds: readonly string[], now = new Date()): Promise<Map<string, RiskScore>> {
    const ids = [...new Set(profileIds)];
    const scores = new Map<string, RiskScore>();
    const activity = new ActivityService(this.em, this.tenantId);
    for (let i = 0; i < ids.length; i += PROFILES_PER_SCORE_CHUNK) {
      if (i > 0) await new Promise(setImmediate); // let the event loop breathe between chunks
      const chunk = ids.slice(i, i + PROFILES_PER_SCORE_CHUNK);
      const [histories, models] = await Promise.all([activity.histories(chunk), activeModels(this.em, this.tenantId)]);
      const churnModel = models[ModelKind.CHURN];
      const lifetime = models[ModelKind.LIFETIME]?.params as unknown as LifetimeModelParams | undefined;
      const inputs = chunk.map((profileId) => churnScoreInput(histories.get(profileId)!, now, churnModel, lifetime ?? null));
      for (const [profileId, score] of await this.risk.recordMany(inputs, now)) scores.set(profileId, score);
      // the history already says which journeys are open: skip their queries when none is
      for (const profileId of chunk) if (hasOpenJourney(histories.get(profileId)!, now)) await this.scoreJourneys(profileId, now);
    }
    return scores;
  }

  /**
   * Drop-off risk of each of the profile's open journey instances, from the active drop-off
   * model or the documented prior. Typical step times come from the model (or, before one, from
   * the tenant's finished instances of this profile's snapshots: none, so the ratio is unknown).
   */
  async scoreJourneys(profileId: string, now: Date): Promise<RiskScore[]> {
    const snapshots = await new ActivityService(this.em, this.tenantId).journeySnapshots(profileId, now);
    const open = [...snapshots.values()]
      .map((list) => latestAt(list, now))
      .filter((s): s is JourneySnapshotInput => s !== null && (s.state === 'active' || s.state === 'stalled'));
    if (open.length === 0) return [];
    const model = await this.activeModel(ModelKind.DROP_OFF);
    const params = model?.params as unknown as DropOffModelParams | undefined;
    const scores: RiskScore[] = [];
    for (const instance of open) {
      const typical = params?.typicalStepMs[typicalStepKey(instance.journeyId, instance.stepIndex)] ?? null;
      const features = journeyFeatures(instance, now, typical);
      const assessed = params ? explainWith(params.model, features.values, features.describe, {}) : null;
      const prior = assessed ? null : scoreDropOffPrior(features);
      const { score } = await this.risk.record({
        profileId,
        kind: 'drop_off',
        journeyInstanceId: instance.instanceId,
        probability: assessed?.probability ?? prior!.probability,
        reasons: assessed?.reasons ?? prior!.factors.slice(0, TOP_REASONS),
        model: model && params ? { id: model.id, version: model.version, name: model.kind } : { ...PRIOR_MODEL_REF },
        scoredAt: now,
      });
      scores.push(score);
    }
    return scores;
  }
}

/** Whether any journey instance's latest state (as of `now`) is active or stalled. */
function hasOpenJourney(history: ProfileHistory, now: Date): boolean {
  return [...latestJourneyStates(history.journeys, now.getTime()).values()].some((j) => j.state === 'active' || j.state === 'stalled');
}

/** The latest snapshot at or before `now`, or null. */
function latestAt(list: readonly JourneySnapshotInput[], now: Date): JourneySnapshotInput | null {
  let latest: JourneySnapshotInput | null = null;
  for (const s of list) if (s.observedAt.getTime() <= now.getTime() && (!latest || s.observedAt.getTime() >= latest.observedAt.getTime())) latest = s;
  return latest;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The churn score to record for a profile: the assessment, and its value when a lifetime model is fitted. */
function churnScoreInput(history: ProfileHistory, now: Date, churnModel: ModelVersion | null, lifetime: LifetimeModelParams | null): RecordScoreInput {
  const churn = assessChurn(history, now, churnModel);
  const value = lifetime ? valueOf(history, now, lifetime) : null;
  const clv = value?.clv ?? null;
  return {
    profileId: history.profileId,
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

function valueOf(history: ProfileHistory, now: Date, params: LifetimeModelParams) {
  const purchases = history.events
    .filter((e) => e.name === params.purchaseEvent && e.timestamp.getTime() <= now.getTime())
    .map((e) => ({ at: e.timestamp, amount: e.revenue ?? 0 }));
  return valueProfile(params, purchases, now);
}
