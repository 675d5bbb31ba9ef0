import type { Lane } from '../../common/fair-share';
import { ACTIVITY_RECORDED, type Queues, type RecordActivityJob } from '../../common/queues';

/**
 * Tells signals that risk has stored the events of a `record-activity` job (its transaction has
 * committed), so signals can clear their hand-off marker: until then a Redis flush that loses the
 * job is recovered by signals' sweeper sending the batch again (risk stores insert-or-ignore, so
 * the replay is harmless). Gathered per tenant and lane over `QUEUE_ACK_WINDOW_MS` into one small
 * job (`Queues.ack`): a trickle of small batches pays one acknowledgement job per window, not per
 * batch; a retried batch acknowledges again, which clears nothing twice. Nothing to say for a batch
 * without events. The batch's lane
 * goes back with it (signals counts each tenant's events in flight per lane).
 */
export async function acknowledgeActivity(queues: Pick<Queues, 'ack'>, tenantId: string, items: readonly RecordActivityJob[], lane?: Lane): Promise<void> {
  const eventIds = items.flatMap((item) => (item.kind === 'event' ? [item.eventId] : []));
  if (eventIds.length === 0) return;
  await queues.ack(ACTIVITY_RECORDED, { tenantId, eventIds, ...(lane === 'history' && { lane }) });
}
