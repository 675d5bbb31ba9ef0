import { SIGNAL_ALERTS, type Queues } from '../../common/queues';
import type { EntityManager } from '../../common/orm';
import { Signal } from '../entities/signal.entity';
import { queueSignalAlerts } from './signal-alerts-handoff';

/** Signals per page, and pages per tenant and sweep: a sweep resends at most 10,000 of a tenant's. */
const PAGE_SIZE = 500;
const MAX_PAGES = 20;

/**
 * Queues `signal-alerts` again for the signals whose alerts hand-off has been pending for longer
 * than `graceMs` (never queued: a crash after the insert; or queued and lost: a Redis flush).
 * Job ids carry `swept<period>` (one per grace period), so the re-send runs even while the first
 * job is still kept as completed; actions keys an alert on rule + signal, so evaluating a signal
 * twice never alerts twice. The marker is cleared by actions' acknowledgement, never here. `em`
 * crosses tenants on purpose (one read of the tenants with work). Returns how many it resent.
 */
export async function resendPendingSignalAlerts(em: EntityManager, queues: Queues, graceMs: number, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - graceMs);
  const resend = `swept${graceMs > 0 ? Math.floor(now.getTime() / graceMs) : now.getTime()}`;
  const signals = em.getRepository(Signal);
  let total = 0;
  for (const tenantId of await signals.tenantsWithPendingAlerts(cutoff)) {
    let after: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const pending: Signal[] = await signals.pendingAlerts(tenantId, cutoff, PAGE_SIZE, after);
      total += await queueSignalAlerts(queues.get(SIGNAL_ALERTS), tenantId, pending, resend);
      if (pending.length < PAGE_SIZE) break;
      after = pending[pending.length - 1].id;
    }
  }
  return total;
}
