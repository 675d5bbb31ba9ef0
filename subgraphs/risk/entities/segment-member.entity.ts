import { Entity, Index, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/** Risk's copy of one stay of a profile in a segment (from `record-activity`), for `riskChanged(filter: { segmentIds })`. */
@Entity({ tableName: 'segment_member' })
@Unique({ properties: ['tenantId', 'membershipId'] })
@Index({ properties: ['tenantId', 'profileId'] })
export class SegmentMember extends TenantEntity {
  @Property({ type: 'uuid' })
  profileId!: string;

  @Property({ type: 'uuid' })
  segmentId!: string;

  /** The profiles subgraph's membership id (one stay). */
  @Property({ type: 'uuid' })
  membershipId!: string;

  @Property({ type: 'datetime' })
  enteredAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  exitedAt: Date | null = null;
}
