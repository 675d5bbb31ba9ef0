import { EntityRepository } from '@mikro-orm/knex';

import { isUuid } from '../../common/ids';
import type { Segment } from './segment.entity';
import { SegmentMembership } from './segment-membership.entity';

/** Reads and writes of segment definitions (the membership rows go with them on delete). */
export class SegmentRepository extends EntityRepository<Segment> {
  /** The tenant's segment with this id; null for an id that is not a UUID (it can match no row). */
  byId(tenantId: string, id: string): Promise<Segment | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.findOne({ tenantId, id });
  }

  /** Every segment of the tenant, in id order (the order evaluation visits them). */
  allOf(tenantId: string): Promise<Segment[]> {
    return this.find({ tenantId }, { orderBy: { id: 'asc' } });
  }

  /** Whether the tenant has any segment (one indexed probe). */
  async anyOf(tenantId: string): Promise<boolean> {
    return (await this.findOne({ tenantId }, { fields: ['id'], disableIdentityMap: true })) !== null;
  }

  /** The id of the tenant's segment with this name, or null. */
  async idNamed(tenantId: string, name: string): Promise<string | null> {
    const clash = await this.findOne({ tenantId, name }, { fields: ['id'] });
    return clash?.id ?? null;
  }

  /** Time-based segments not yet checked through `now` (one whose condition changed after `now` is current already). */
  dueForRecheck(tenantId: string, now: Date): Promise<Segment[]> {
    return this.find(
      { tenantId, timeBased: true, $or: [{ checkedThrough: null }, { checkedThrough: { $lte: now } }] },
      { orderBy: { id: 'asc' } },
    );
  }

  /** Records a finished re-check at `now`, unless the segment changed meanwhile (its change set the check time). */
  async markCheckedThrough(tenantId: string, segment: Pick<Segment, 'id' | 'version'>, now: Date): Promise<void> {
    await this.nativeUpdate(
      { tenantId, id: segment.id, version: segment.version, $or: [{ checkedThrough: null }, { checkedThrough: { $lt: now } }] },
      { checkedThrough: now },
    );
  }

  /** Deletes a segment with its membership history, in one transaction. */
  async deleteWithMemberships(tenantId: string, segmentId: string): Promise<void> {
    await this.getEntityManager().transactional(async (em) => {
      await em.nativeDelete(SegmentMembership, { tenantId, segment: segmentId });
      await em.nativeDelete(this.entityName, { tenantId, id: segmentId });
    });
  }

  /** Tenants that have at least one time-based segment: the ones the scheduled re-check visits. */
  async tenantsWithTimeBased(): Promise<string[]> {
    const rows = (await this.createQueryBuilder('s')
      .select('s.tenant_id', true)
      .where({ timeBased: true })
      .execute('all', false)) as { tenant_id: string }[];
    return rows.map((r) => String(r.tenant_id)).sort();
  }
}
