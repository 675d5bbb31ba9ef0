import { Entity, Index, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/** Risk's copy of a friction signal (from `record-activity`): features and reasons' evidence. */
@Entity({ tableName: 'activity_signal' })
@Unique({ properties: ['tenantId', 'signalId'] })
@Index({ properties: ['tenantId', 'profileId', 'detectedAt'] })
export class ActivitySignal extends TenantEntity {
  @Property({ type: 'uuid' })
  profileId!: string;

  /** The signals subgraph's signal id, quoted as evidence in reasons. */
  @Property({ type: 'uuid' })
  signalId!: string;

  @Property({ type: 'string', length: 64 })
  type!: string;

  @Property({ type: 'double' })
  severity!: number;

  @Property({ type: 'datetime' })
  detectedAt!: Date;

  @Property({ type: 'uuid', nullable: true })
  journeyInstanceId: string | null = null;

  /** The signal's own plain-words summary, e.g. "3 failed ID uploads in 10 min". */
  @Property({ type: 'string', length: 512 })
  summary!: string;
}
