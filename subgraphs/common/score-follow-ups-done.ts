import { SCORE_FOLLOW_UPS_DONE, type Queues, type ScoreFollowUpConsumer } from './queues';

/**
 * Tells risk that this consumer has stored the follow-ups of these scores (its transaction has
 * committed), so risk clears its marker: until then a Redis flush that loses the follow-up job is
 * recovered by risk's score sweeper sending it again (both consumers are idempotent). One small
 * job per consumer job, job id `<consumer job id>-done` (a retried job queues nothing new).
 * Nothing to say for a job that named no score.
 */
export async function acknowledgeScoreFollowUps(
  queues: Queues,
  jobId: string,
  tenantId: string,
  consumer: ScoreFollowUpConsumer,
  scoreIds: readonly string[],
): Promise<void> {
  if (scoreIds.length === 0) return;
  await queues.get(SCORE_FOLLOW_UPS_DONE).add(SCORE_FOLLOW_UPS_DONE, { tenantId, consumer, scoreIds: [...new Set(scoreIds)] }, { jobId: `${jobId}-done` });
}
