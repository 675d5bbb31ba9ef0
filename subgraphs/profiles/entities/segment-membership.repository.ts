import { raw } from '@mikro-orm/core';
import { EntityRepository } from '@mikro-orm/knex';

import type { SegmentMembership } from './segment-membership.entity';

/** Which announcement of a membership row: its entry or its exit. */
export type MembershipChange = 'entered' | 'exited';

/** Reads of current membership, and the announcement flags that make the membership outbox. */
export class SegmentMembershipRepository extends EntityRepository<SegmentMembership> {
  /** Current members per segment: one grouped query. Segments without members are missing. */
  async currentCounts(tenantId: string, segmentIds: readonly string[]): Promise<Map<string, number>> {
    const rows = (await this.createQueryBuilder('m')
      .select(['m.segment_id', raw('count(*) as ??', ['cnt'])])
      .where({ tenantId, segment: { $in: [...segmentIds] }, current: true })
      .groupBy('m.segment_id')
      .execute('all', false)) as { segment_id: string; cnt: number | string }[];
    return new Map(rows.map((r) => [String(r.segment_id), Number(r.cnt)]));
  }

  /** The current stays of these profiles with their segments, oldest entry first. */
  currentOfProfiles(tenantId: string, profileIds: readonly string[]): Promise<SegmentMembership[]> {
    if (profileIds.length === 0) return Promise.resolve([]);
    return this.find(
      { tenantId, profileId: { $in: [...profileIds] }, current: true },
      { populate: ['segment'], orderBy: { enteredAt: 'asc', id: 'asc' } },
    );
  }

  /** Up to `limit` current members of a segment after the membership `afterId`, in id order. */
  currentPage(tenantId: string, segmentId: string, afterId: string | null, limit: number): Promise<SegmentMembership[]> {
    return this.find(
      { tenantId, segment: segmentId, current: true, ...(afterId ? { id: { $gt: afterId } } : {}) },
      { orderBy: { id: 'asc' }, limit },
    );
  }

  /**
   * The current stays an evaluation compares with: of the live profiles in these segments, and of
   * the gone ones (merged away or deleted) in any segment. Re-read, never from the identity map.
   */
  currentForEvaluation(tenantId: string, live: readonly string[], segmentIds: readonly string[], gone: readonly string[]): Promise<SegmentMembership[]> {
    const scopes = [
      ...(live.length ? [{ profileId: { $in: [...live] }, segment: { $in: [...segmentIds] } }] : []),
      ...(gone.length ? [{ profileId: { $in: [...gone] } }] : []),
    ];
    return this.find({ tenantId, current: true, $or: scopes }, { refresh: true });
  }

  /** Entries and exits of these profiles not yet announced, with their segments, in id order. */
  unannounced(tenantId: string, profileIds: readonly string[]): Promise<SegmentMembership[]> {
    return this.find(
      {
        tenantId,
        profileId: { $in: [...profileIds] },
        $or: [{ entryAnnounced: false }, { exitedAt: { $ne: null }, exitAnnounced: false }],
      },
      { populate: ['segment'], orderBy: { id: 'asc' } },
    );
  }

  /** Marks one announcement as made; true only for the caller whose UPDATE flipped the flag. */
  async claimAnnouncement(tenantId: string, membershipId: string, change: MembershipChange): Promise<boolean> {
    const claimed =
      change === 'entered'
        ? await this.nativeUpdate({ tenantId, id: membershipId, entryAnnounced: false }, { entryAnnounced: true })
        : await this.nativeUpdate({ tenantId, id: membershipId, exitAnnounced: false }, { exitAnnounced: true });
    return claimed === 1;
  }

  /** Actions evaluated its alert rules against these entries and exits: clears their markers, one UPDATE per change kind and chunk. */
  async alertsDone(tenantId: string, changes: readonly { membershipId: string; change: MembershipChange }[]): Promise<void> {
    for (const change of ['entered', 'exited'] as const) {
      const ids = changes.filter((c) => c.change === change).map((c) => c.membershipId);
      for (let i = 0; i < ids.length; i += 500) {
        const where = { tenantId, id: { $in: ids.slice(i, i + 500) } };
        if (change === 'entered') await this.nativeUpdate(where, { entryAlertsPendingSince: null });
        else await this.nativeUpdate(where, { exitAlertsPendingSince: null });
      }
    }
  }

  /** The tenants with an entry or exit whose alerts hand-off has been pending since before `cutoff`. One query. */
  async tenantsWithAlertsPending(cutoff: Date): Promise<string[]> {
    const rows = (await this.createQueryBuilder('m')
      .select('m.tenant_id')
      .distinct()
      .where({ $or: [{ entryAlertsPendingSince: { $lt: cutoff } }, { exitAlertsPendingSince: { $lt: cutoff } }] })
      .execute('all', false)) as { tenant_id: string }[];
    return rows.map((r) => String(r.tenant_id)).sort();
  }

  /**
   * One tenant's membership rows with an entry or exit whose alerts hand-off has been pending since
   * before `cutoff`, with their segments, in id order after `after` (keyset paging). The sweeper's
   * read: its entity manager crosses tenants on purpose, so the tenant is named here.
   */
  alertsPendingOf(tenantId: string, cutoff: Date, after: string | null, limit: number): Promise<SegmentMembership[]> {
    return this.find(
      { tenantId, $or: [{ entryAlertsPendingSince: { $lt: cutoff } }, { exitAlertsPendingSince: { $lt: cutoff } }], ...(after ? { id: { $gt: after } } : {}) },
      { populate: ['segment'], orderBy: { id: 'asc' }, limit },
    );
  }
}
