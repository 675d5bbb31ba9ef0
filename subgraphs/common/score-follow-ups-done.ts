import { SCORE_FOLLOW_UPS_DONE, type Queues, type ScoreFollowUpConsumer } from './queues';

/**
 * Tells risk that this consumer has stored the follow-ups of these scores (its transaction has
 * committed), so risk clears its marker: until then a Redis flush that loses the follow-up job is
 * recovered by risk's score sweeper sending it again (both consumers are idempotent). Gathered
 * per tenant and consumer over `QUEUE_ACK_WINDOW_MS` into one small job (`Queues.ack`); a retried
 * job acknowledges again, which clears nothing twice. Nothing to say for a job that named no score.
 */
export async function acknowledgeScoreFollowUps(
  queues: Pick<Queues, 'ack'>,
  tenantId: string,
  consumer: ScoreFollowUpConsumer,
  scoreIds: readonly string[],
): Promise<void> {
  if (scoreIds.length === 0) return;
  await queues.ack(SCORE_FOLLOW_UPS_DONE, { tenantId, consumer, scoreIds: [...new Set(scoreIds)] });
}
