import type { EntityManager } from '../../common/orm';
import { REPLAY_SEND, replaySendJobId, type Queues, type ReplaySendJob } from '../../common/queues';
import { pendingReplaysAcrossTenants, type PendingReplay } from '../entities/step-delivery.repository';
import { sweptSuffix } from './message-outcome-handoff';

/** Replays per page, and pages per pass: a pass re-queues at most 10,000 replays. */
const PAGE_SIZE = 500;
const MAX_PAGES = 20;

/**
 * Queues replays, one `addBulk` for all, under deterministic ids (see `replaySendJobId`): a replay
 * whose job still exists is not queued twice under the same id.
 */
export async function queueReplaySends(queues: Pick<Queues, 'get'>, replays: readonly ReplaySendJob[], resend?: string): Promise<void> {
  if (replays.length === 0) return;
  await queues.get(REPLAY_SEND).addBulk(
    replays.map((r) => ({
      name: REPLAY_SEND,
      data: { tenantId: r.tenantId, deliveryId: r.deliveryId, replay: r.replay },
      opts: { jobId: replaySendJobId(r.tenantId, r.deliveryId, r.replay, resend) },
    })),
  );
}

/**
 * Queues again every replay (`replaySend`) requested, or due after quiet hours, longer than
 * `graceMs` ago and still in flight: its job was lost to a Redis flush, or the mutation's process
 * died between its commit and the queueing. Job ids carry `swept<period>` (one per grace period), so
 * a replay whose job was kept as failed is queued again too. A job that turns out to be a duplicate
 * of one still around does no harm: the worker takes the row with compare-and-sets on its replay
 * and its tries, and the provider dedupes on the replay's idempotency key. `em` crosses tenants on
 * purpose. Returns how many it re-queued.
 */
export async function resendPendingReplays(em: EntityManager, queues: Pick<Queues, 'get'>, graceMs: number, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - graceMs);
  const resend = sweptSuffix(graceMs, now);
  let after: string | null = null;
  let total = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const rows: PendingReplay[] = await pendingReplaysAcrossTenants(em, cutoff, PAGE_SIZE, after);
    await queueReplaySends(queues, rows.map((r) => ({ tenantId: r.tenantId, deliveryId: r.id, replay: r.replays })), resend);
    total += rows.length;
    if (rows.length < PAGE_SIZE) break;
    after = rows[rows.length - 1].id;
  }
  return total;
}
