import type { SegmentMembershipChangedEvent } from '../../common/pubsub';
import { SEGMENT_MEMBERSHIP_CHANGED, segmentChangeJobId, type Queues } from '../../common/queues';
import type { EntityManager } from '../../common/orm';
import { SegmentMembership } from '../entities/segment-membership.entity';

/** Membership rows per page, and pages per tenant and sweep: a sweep resends at most 10,000 of a tenant's. */
const PAGE_SIZE = 500;
const MAX_PAGES = 20;

/**
 * Queues `segment-membership-changed` again for the entries and exits whose alerts hand-off has
 * been pending for longer than `graceMs` (never queued: a crash after the commit; or queued and
 * lost: a Redis flush). Job ids carry `swept<period>` (one per grace period), so the re-send runs
 * even while the first job is still kept as completed; actions keys an alert on rule + membership
 * + change, so evaluating a change twice never alerts twice. The markers are cleared by actions'
 * acknowledgement, never here. `em` crosses tenants on purpose (one read of the tenants with
 * work). Returns how many changes it resent.
 */
export async function resendPendingSegmentChanges(em: EntityManager, queues: Queues, graceMs: number, now: Date): Promise<number> {
  const cutoff = new Date(now.getTime() - graceMs);
  const resend = `swept${graceMs > 0 ? Math.floor(now.getTime() / graceMs) : now.getTime()}`;
  const memberships = em.getRepository(SegmentMembership);
  let total = 0;
  for (const tenantId of await memberships.tenantsWithAlertsPending(cutoff)) {
    let after: string | null = null;
    for (let page = 0; page < MAX_PAGES; page++) {
      const rows: SegmentMembership[] = await memberships.alertsPendingOf(tenantId, cutoff, after, PAGE_SIZE);
      const events: SegmentMembershipChangedEvent[] = rows.flatMap((m) => {
        const base = { tenantId, segmentId: m.segment.id, segmentName: m.segment.getEntity().name, profileId: m.profileId, membershipId: m.id };
        return [
          ...(m.entryAlertsPendingSince && m.entryAlertsPendingSince < cutoff ? [{ ...base, change: 'entered' as const, at: m.enteredAt.toISOString() }] : []),
          ...(m.exitedAt && m.exitAlertsPendingSince && m.exitAlertsPendingSince < cutoff ? [{ ...base, change: 'exited' as const, at: m.exitedAt.toISOString() }] : []),
        ];
      });
      if (events.length) {
        await queues.get(SEGMENT_MEMBERSHIP_CHANGED).addBulk(events.map((data) => ({ name: SEGMENT_MEMBERSHIP_CHANGED, data, opts: { jobId: segmentChangeJobId(data, resend) } })));
      }
      total += events.length;
      if (rows.length < PAGE_SIZE) break;
      after = rows[rows.length - 1].id;
    }
  }
  return total;
}
