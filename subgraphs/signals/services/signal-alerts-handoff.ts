import type { Queue } from 'bullmq';

import type { AckKind } from '../../common/ack-buffer';
import { chunks } from '../../common/chunks';
import { SIGNAL_ALERTS, STAGE_BATCH_MAX, signalAlertsJobId, type Queues, type SignalAlertsBatch } from '../../common/queues';
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

/** A detect pass's stored signals, held per tenant over the ack window. */
interface HeldSignals {
  tenantId: string;
  signals: Signal[];
}

const HELD_SIGNALS: AckKind<HeldSignals> = {
  keyOf: (h) => h.tenantId,
  // a replayed pass holds its signals again: each once, so the job id stays the one a lone pass gets
  merge: (held, more) => ({ ...held, signals: [...held.signals, ...more.signals.filter((s) => !held.signals.some((h) => h.id === s.id))] }),
  size: (h) => h.signals.length,
  maxIds: STAGE_BATCH_MAX,
};

/**
 * `queueSignalAlerts` for the live detect path, with the signals of the process's passes held per
 * tenant for `QUEUE_ACK_WINDOW_MS` and queued together (`Queues.held`): one `signal-alerts` job
 * per window instead of one per pass under a trickle of small requests. Nothing is lost by
 * holding them: each stored signal keeps `alertsPendingSince` until actions acknowledges, so
 * signals the process dies holding are re-sent by `sweep-events` after the grace period.
 */
export function holdSignalAlerts(queues: Queues, tenantId: string, signals: readonly Signal[]): Promise<void> {
  const pending = signals.filter((s) => s.alertsPendingSince !== null);
  if (pending.length === 0) return Promise.resolve();
  const buffer = queues.held('signal-alerts', HELD_SIGNALS, async (held) => {
    for (const h of held) await queueSignalAlerts(queues.get(SIGNAL_ALERTS), h.tenantId, h.signals);
  });
  return buffer.add({ tenantId, signals: pending });
}
