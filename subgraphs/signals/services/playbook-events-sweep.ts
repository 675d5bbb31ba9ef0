import type { EntityManager } from '../../common/orm';
import { PLAYBOOK_EVENTS, type Queues } from '../../common/queues';
import { Event } from '../entities/event.entity';
import type { PlaybookEventRow } from '../entities/event.repository';
import { playbookEventsJobs } from './playbook-events-handoff';

/** Events per page, and pages per tenant and sweep: a sweep resends at most 10,000 of a tenant's. */
const PAGE_SIZE = 500;
const MAX_PAGES = 20;

/**
 * Queues `playbook-events` again for the events whose hand-off to the actions stage has been
 * pending for longer than `graceMs` (queued and lost: a Redis flush; or never queued: a crash
 * between the take-over and the queueing). Job ids carry `swept<period>` (one per grace period),
 * so the re-send runs even while the first job is still kept as completed; actions moves a run
 * only while it waits for an event that happened after it began to wait, so matching an event
 * twice never moves a run twice. The marker is cleared by actions' acknowledgement, never here.
 * `em` crosses tenants on purpose (one read of the tenants with work). Returns how many it resent.
 */
export async function resendPendingPlaybookEvents(em: EntityManager, queues: Pick<Queues, 'get'>, graceMs: number, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - graceMs);
  const resend = `swept${graceMs > 0 ? Math.floor(now.getTime() / graceMs) : now.getTime()}`;
  const repo = em.getRepository(Event);
  let total = 0;
  for (const tenantId of await repo.tenantsWithPendingPlaybookEvents(cutoff)) {
    let after: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const pending: PlaybookEventRow[] = await repo.pendingPlaybookEvents(tenantId, cutoff, PAGE_SIZE, after);
      const jobs = playbookEventsJobs(tenantId, pending, resend);
      if (jobs.length) await queues.get(PLAYBOOK_EVENTS).addBulk(jobs);
      total += jobs.reduce((n, j) => n + j.data.events.length, 0);
      if (pending.length < PAGE_SIZE) break;
      after = pending[pending.length - 1].id;
    }
  }
  return total;
}
