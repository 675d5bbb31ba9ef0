import type { Queue } from 'bullmq';

import { chunks } from '../../common/chunks';
import { SIGNAL_ALERTS, STAGE_BATCH_MAX, signalAlertsJobId, type SignalAlertsBatch } from '../../common/queues';
import { signalForAlerts } from '../domain/events/alert-items';
import type { Signal } from '../entities/signal.entity';

/**
 * Hands stored signals whose alerts hand-off is pending to the actions stage: one `signal-alerts`
 * job per `STAGE_BATCH_MAX` signals, in id order, with deterministic ids (a retried pass queues
 * nothing new). Signals whose marker is already clear (actions evaluated them) are left out.
 * Returns how many signals it queued.
 */
export async function queueSignalAlerts(
  queue: Pick<Queue<SignalAlertsBatch>, 'addBulk'>,
  tenantId: string,
  signals: readonly Signal[],
  resend?: string,
): Promise<number> {
  const pending = signals.filter((s) => s.alertsPendingSince !== null).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (pending.length === 0) return 0;
  await queue.addBulk(
    chunks(pending, STAGE_BATCH_MAX).map((part) => ({
      name: SIGNAL_ALERTS,
      data: { tenantId, signals: part.map(signalForAlerts) },
      opts: { jobId: signalAlertsJobId(tenantId, part.map((s) => s.id), resend) },
    })),
  );
  return pending.length;
}
