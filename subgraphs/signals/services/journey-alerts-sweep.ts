import { JOURNEY_ALERTS, type Queues } from '../../common/queues';
import type { EntityManager } from '../../common/orm';
import { JourneyDefinition } from '../entities/journey-definition.entity';
import { JourneyInstance } from '../entities/journey-instance.entity';
import { queueJourneyAlerts } from './journey-alerts-handoff';

/** Instances per page (one job each), and pages per tenant and sweep. */
const PAGE_SIZE = 200;
const MAX_PAGES = 25;

/**
 * Queues `journey-alerts` again for the instances whose alerts hand-off has been pending for
 * longer than `graceMs` (never queued, or queued and lost), one job per page with their states as
 * their rows show them now. Job ids carry `swept<period>` (one per grace period); actions keys an
 * alert on rule + instance + state, so a state evaluated twice never alerts twice. Instances of a
 * deleted definition are acknowledged here (nothing can evaluate them). `em` crosses tenants on
 * purpose. Returns how many instances it resent.
 */
export async function resendPendingJourneyAlerts(em: EntityManager, queues: Queues, graceMs: number, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - graceMs);
  const resend = `swept${graceMs > 0 ? Math.floor(now.getTime() / graceMs) : now.getTime()}`;
  const instances = em.getRepository(JourneyInstance);
  let total = 0;
  for (const tenantId of await instances.tenantsWithAlertsPending(cutoff)) {
    let after: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const rows: JourneyInstance[] = await instances.alertsPendingOf(tenantId, cutoff, after, PAGE_SIZE);
      if (rows.length === 0) break;
      const definitions = new Map((await em.getRepository(JourneyDefinition).allOf(tenantId)).map((d) => [d.id, d]));
      const orphans = rows.filter((r) => !definitions.has(r.definitionId));
      if (orphans.length) await instances.alertsDone(tenantId, orphans.map((r) => ({ instanceId: r.id, since: r.alertsPendingSince! })));
      total += await queueJourneyAlerts(queues.get(JOURNEY_ALERTS), tenantId, rows, definitions, resend);
      if (rows.length < PAGE_SIZE) break;
      after = rows[rows.length - 1].id;
    }
  }
  return total;
}
