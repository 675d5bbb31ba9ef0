import { addFairly, type FairShare, type Lane } from '../../common/fair-share';
import { RAISE_ALERTS, SET_COMPUTED_TRAITS, type Queues } from '../../common/queues';
import type { RiskScore } from '../entities/risk-score.entity';

/** A stored score that crossed into a new bucket, and the bucket it left (null: the first score). */
export interface Crossing {
  score: Pick<RiskScore, 'id' | 'profileId' | 'kind' | 'score' | 'bucket' | 'scoredAt'>;
  previousBucket: string | null;
}

/**
 * Queues what a bucket crossing sets off: the actions stage (`raise-alerts`, job id = score id,
 * and actions keys the alert on the score id too, so queueing a crossing twice never alerts
 * twice) and, for churn, the buckets on the profiles' computed traits: one `set-computed-traits`
 * batch, fair-ordered in the batch's lane like every stage hand-off (its job id names the scores,
 * so queueing the same crossings again adds nothing). Used right after the scores are stored and
 * by the score sweeper for crossings whose follow-ups were never queued (a crash in between).
 */
export async function queueCrossingFollowUps(
  queues: Queues,
  fair: FairShare,
  tenantId: string,
  crossings: readonly Crossing[],
  lane?: Lane,
): Promise<void> {
  if (crossings.length === 0) return;
  await queues.get(RAISE_ALERTS).addBulk(
    crossings.map(({ score, previousBucket }) => ({
      name: RAISE_ALERTS,
      data: { tenantId, profileId: score.profileId, scoreId: score.id, score: score.score, bucket: score.bucket, previousBucket },
      opts: { jobId: `${tenantId}-${score.id}` },
    })),
  );
  const churn = crossings.map((c) => c.score).filter((s) => s.kind === 'churn');
  if (churn.length === 0) return;
  await addFairly(
    queues.get(SET_COMPUTED_TRAITS),
    fair,
    [
      {
        name: SET_COMPUTED_TRAITS,
        data: {
          tenantId,
          ...(lane === 'history' && { lane }),
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
