import type { AckKind } from '../../common/ack-buffer';
import { addFairly, type FairShare, type Lane } from '../../common/fair-share';
import { RAISE_ALERTS, SET_COMPUTED_TRAITS, STAGE_BATCH_MAX, type Queues, type RaiseAlertsBatch, type RiskChangeForAlerts } from '../../common/queues';
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
    scoredAt: score.scoredAt.toISOString(),
  };
}

/** Whether a stored score sets the profile's risk trait: a churn score into a new bucket. */
export function setsRiskTrait(score: Pick<RiskScore, 'kind' | 'bucket'>, previous: { bucket: string } | null): boolean {
  return score.kind === 'churn' && score.bucket !== previous?.bucket;
}

/**
 * Queues what stored news sets off, fair-ordered in the batch's lane like every stage hand-off:
 * ONE `raise-alerts` batch with every change (`queueAlertFollowUps`) and, for churn bucket
 * crossings, ONE `set-computed-traits` batch with the profiles' new buckets
 * (`queueTraitFollowUps`). Used right after the scores are stored; the score sweeper calls the
 * two separately for the scores whose consumer has not acknowledged.
 */
export async function queueScoreFollowUps(queues: Queues, fair: FairShare, tenantId: string, news: readonly ScoreNews[], lane?: Lane): Promise<void> {
  await queueAlertFollowUps(queues, fair, tenantId, news, { lane });
  await queueTraitFollowUps(
    queues,
    fair,
    tenantId,
    news.filter((n) => setsRiskTrait(n.score, n.previous)).map((n) => n.score),
    { lane },
  );
}

/** The news of scored batches, held per tenant and lane over the ack window. */
interface HeldNews {
  tenantId: string;
  lane?: Lane;
  news: ScoreNews[];
}

const HELD_NEWS: AckKind<HeldNews> = {
  keyOf: (h) => `${h.tenantId}\u0000${h.lane ?? 'live'}`,
  // in scoring order: the traits batch applies a profile's crossings in the order they happened
  merge: (held, more) => ({ ...held, news: [...held.news, ...more.news] }),
  size: (h) => h.news.length,
  maxIds: STAGE_BATCH_MAX,
};

/**
 * `queueScoreFollowUps` for the live path, with the news of the process's scored batches held
 * per tenant and lane for `QUEUE_ACK_WINDOW_MS` and queued together (`Queues.held`): under a
 * trickle of one-customer requests every scored batch cost a `raise-alerts` and a
 * `set-computed-traits` job, and their acknowledgements; held, they cost one of each per window.
 * Nothing is lost by holding them: the scores are stored with their follow-up markers set, so news
 * the process dies with is re-sent by `sweep-scores` after the grace period, and both consumers are
 * idempotent. A full window (`STAGE_BATCH_MAX` changes) is queued at once.
 */
export function holdScoreFollowUps(queues: Queues, fair: FairShare, tenantId: string, news: readonly ScoreNews[], lane?: Lane): Promise<void> {
  if (news.length === 0) return Promise.resolve();
  const buffer = queues.held('score-follow-ups', HELD_NEWS, async (held) => {
    for (const h of held) await queueScoreFollowUps(queues, fair, h.tenantId, h.news, h.lane);
  });
  return buffer.add({ tenantId, news: [...news], ...(lane && { lane }) });
}

/** Where a follow-up batch goes and why: its lane, and `resend` (e.g. `swept<period>`) for the sweeper's copy. */
export interface FollowUpOptions {
  lane?: Lane;
  /** Put in the job id, so a resend runs even while the first job is still kept as completed. */
  resend?: string;
  /** The scores the consumer acknowledges, when not those sent (the sweeper sends each profile's newest). */
  scoreIds?: string[];
}

/**
 * ONE `raise-alerts` batch with every change (not only bucket crossings, so threshold rules see
 * every move; actions keys an alert on rule + score, so a batch sent twice never alerts twice),
 * which actions acknowledges with the score ids once evaluated. The job id names the first and
 * last score (and the resend), so queueing the same news again adds nothing.
 */
export async function queueAlertFollowUps(queues: Queues, fair: FairShare, tenantId: string, news: readonly ScoreNews[], opts: FollowUpOptions = {}): Promise<void> {
  if (news.length === 0) return;
  const { lane, resend } = opts;
  const laneField = lane === 'history' ? { lane } : {};
  const alerts: RaiseAlertsBatch = { tenantId, ...laneField, changes: news.map(alertChangeOf) };
  const tag = resend ? `${resend}-` : '';
  await addFairly(
    queues.get(RAISE_ALERTS),
    fair,
    [{ name: RAISE_ALERTS, data: alerts, opts: { jobId: `${tenantId}-alerts-${tag}${news[0].score.id}-${news[news.length - 1].score.id}` } }],
    (b) => b.tenantId,
    lane,
  );
}

/**
 * ONE `set-computed-traits` batch with these churn scores as the profiles' `risk` traits (bucket,
 * score, time), naming the score ids so profiles acknowledges them once written. Writing the same
 * score again replaces the same keys with the same values. Job id as for the alerts.
 */
export async function queueTraitFollowUps(
  queues: Queues,
  fair: FairShare,
  tenantId: string,
  scores: readonly ScoreNews['score'][],
  opts: FollowUpOptions = {},
): Promise<void> {
  if (scores.length === 0) return;
  const { lane, resend } = opts;
  const laneField = lane === 'history' ? { lane } : {};
  const tag = resend ? `${resend}-` : '';
  const scoreIds = opts.scoreIds ?? scores.map((score) => score.id);
  await addFairly(
    queues.get(SET_COMPUTED_TRAITS),
    fair,
    [
      {
        name: SET_COMPUTED_TRAITS,
        data: {
          tenantId,
          ...laneField,
          items: scores.map((score) => ({
            profileId: score.profileId,
            source: 'risk',
            traits: { churnBucket: score.bucket, churnScore: score.score, scoredAt: score.scoredAt.toISOString() },
          })),
          scoreIds,
        },
        opts: { jobId: `${tenantId}-risk-${tag}${scores[0].id}-${scores[scores.length - 1].id}` },
      },
    ],
    (b) => b.tenantId,
    lane,
  );
}
