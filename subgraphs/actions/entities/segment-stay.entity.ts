import { Entity, Index, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/**
 * The actions stage's copy of segment membership, one row per stay (a profiles membership row),
 * kept from the `segment-membership-changed` jobs it consumes, so the `segmentIds` condition of
 * FRICTION_SIGNAL and JOURNEY rules can be answered without reading another subgraph's tables.
 * An exit closes the stay for good: a late or replayed entry of the same stay never reopens it.
 */
@Entity({ tableName: 'segment_stay' })
@Unique({ properties: ['tenantId', 'membershipId'] })
@Index({ properties: ['tenantId', 'profileId', 'exitedAt'] })
export class SegmentStay extends TenantEntity {
  @Property({ type: 'uuid' })
  membershipId!: string;

  @Property({ type: 'uuid' })
  profileId!: string;

  @Property({ type: 'uuid' })
  segmentId!: string;

  /** Null while the stay lasts (as far as actions has heard). */
  @Property({ type: 'datetime', nullable: true })
  exitedAt: Date | null = null;
}
