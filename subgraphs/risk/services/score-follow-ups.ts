import { addFairly, type FairShare, type Lane } from '../../common/fair-share';
import { RAISE_ALERTS, SET_COMPUTED_TRAITS, type Queues, type RaiseAlertsBatch, type RiskChangeForAlerts } from '../../common/queues';
import type { RiskScore } from '../entities/risk-score.entity';

/** A stored score that was news (see `isRiskChange`), with the score it follows (null: the first). */
export interface ScoreNews {
  score: Pick<RiskScore, 'id' | 'profileId' | 'kind' | 'score' | 'bucket' | 'scoredAt' | 'clv' | 'revenueAtRisk' | 'reasons'>;
  previous: { score: number; bucket: string } | null;
  /** Segments the profile is in (risk's copy of membership). */
  segmentIds: string[];
}

/** What the actions stage's alert rules see of one change. */
export function alertChangeOf({ score, previous, segmentIds }: ScoreNews): RiskChangeForAlerts {
  return {
    profileId: score.profileId,
    scoreId: score.id,
    kind: score.kind,
    score: score.score,
    previousScore: previous?.score ?? null,
    bucket: score.bucket,
    previousBucket: previous?.bucket ?? null,
    clv: score.clv ?? null,
    revenueAtRisk: score.revenueAtRisk ?? null,
    reasons: score.reasons,
    segmentIds,
  };
}

/**
 * Queues what stored news sets off, fair-ordered in the batch's lane like every stage hand-off:
 * ONE `raise-alerts` batch with every change (not only bucket crossings, so threshold rules see
 * every move; actions keys an alert on rule + score, so queueing it twice never alerts twice) and,
 * for churn bucket crossings, ONE `set-computed-traits` batch with the profiles' new buckets. Job
 * ids name the first and last score, so queueing the same news again adds nothing. Used right
 * after the scores are stored and by the score sweeper for news whose follow-ups were never
 * queued (a crash in between).
 */
export async function queueScoreFollowUps(queues: Queues, fair: FairShare, tenantId: string, news: readonly ScoreNews[], lane?: Lane): Promise<void> {
  if (news.length === 0) return;
  const laneField = lane === 'history' ? { lane } : {};
  const alerts: RaiseAlertsBatch = { tenantId, ...laneField, changes: news.map(alertChangeOf) };
  await addFairly(
    queues.get(RAISE_ALERTS),
    fair,
    [{ name: RAISE_ALERTS, data: alerts, opts: { jobId: `${tenantId}-alerts-${news[0].score.id}-${news[news.length - 1].score.id}` } }],
    (b) => b.tenantId,
    lane,
  );
  const churn = news.filter((n) => n.score.kind === 'churn' && n.score.bucket !== n.previous?.bucket).map((n) => n.score);
  if (churn.length === 0) return;
  await addFairly(
    queues.get(SET_COMPUTED_TRAITS),
    fair,
    [
      {
        name: SET_COMPUTED_TRAITS,
        data: {
          tenantId,
          ...laneField,
          items: churn.map((score) => ({
            profileId: score.profileId,
            source: 'risk',
            traits: { churnBucket: score.bucket, churnScore: score.score, scoredAt: score.scoredAt.toISOString() },
          })),
        },
        opts: { jobId: `${tenantId}-risk-${churn[0].id}-${churn[churn.length - 1].id}` },
      },
    ],
    (b) => b.tenantId,
    lane,
  );
}
