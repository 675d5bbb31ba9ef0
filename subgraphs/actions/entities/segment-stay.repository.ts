import type { EntityManager } from '../../common/orm';
import { SegmentStay } from './segment-stay.entity';

/** One entry or exit as the copy records it. */
export interface StayChange {
  membershipId: string;
  profileId: string;
  segmentId: string;
  change: 'entered' | 'exited';
  at: Date;
}

/** The actions stage's copy of segment membership, for one tenant. */
export class SegmentStayRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * Records entries (one multi-row insert-or-ignore on the stay) and then exits (one multi-row
   * upsert that closes the stay, creating it closed when its entry has not arrived). Replaying any
   * of them, in any order, ends in the same rows.
   */
  async record(changes: readonly StayChange[]): Promise<void> {
    const row = (c: StayChange, exitedAt: Date | null) =>
      this.em.create(SegmentStay, { tenantId: this.tenantId, membershipId: c.membershipId, profileId: c.profileId, segmentId: c.segmentId, exitedAt }, { persist: false });
    const entries = changes.filter((c) => c.change === 'entered').map((c) => row(c, null));
    const exits = changes.filter((c) => c.change === 'exited').map((c) => row(c, c.at));
    if (entries.length) await this.em.upsertMany(SegmentStay, entries, { onConflictFields: ['tenantId', 'membershipId'], onConflictAction: 'ignore' });
    if (exits.length) {
      await this.em.upsertMany(SegmentStay, exits, { onConflictFields: ['tenantId', 'membershipId'], onConflictAction: 'merge', onConflictMergeFields: ['exitedAt', 'updatedAt'] });
    }
  }

  /** The segments each of these profiles is in now, as far as actions has heard. One SELECT. */
  async currentOf(profileIds: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (profileIds.length === 0) return out;
    const rows = await this.em.find(
      SegmentStay,
      { tenantId: this.tenantId, profileId: { $in: [...new Set(profileIds)] }, exitedAt: null },
      { fields: ['profileId', 'segmentId'], disableIdentityMap: true },
    );
    for (const r of rows) out.set(r.profileId, [...(out.get(r.profileId) ?? []), r.segmentId]);
    return out;
  }
}
