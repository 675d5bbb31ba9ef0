import { Entity, EntityRepositoryType, Index, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import { ProfileEventRepository } from './profile-event.repository';

/**
 * The profiles stage's own slim log of the events it resolved (it never reads the signals
 * tables). Computed traits and segment time windows are aggregates over it; one row per event
 * id, so replaying a resolve job adds nothing. Re-pointed to the survivor when profiles merge.
 */
@Entity({ tableName: 'profile_event', repository: () => ProfileEventRepository })
@Unique({ properties: ['tenantId', 'eventId'] })
@Index({ properties: ['tenantId', 'profileId', 'name', 'timestamp'] })
export class ProfileEvent extends TenantEntity {
  [EntityRepositoryType]?: ProfileEventRepository;

  @Property({ type: 'uuid' })
  profileId!: string;

  /** Id of the event row in the signals subgraph. */
  @Property({ type: 'uuid' })
  eventId!: string;

  /** Segment event type: track, identify, page, screen, group, alias. */
  @Property({ type: 'string', length: 16 })
  type!: string;

  /** `track` event name or page/screen name; null for identify/group/alias. */
  @Property({ type: 'string', length: 255, nullable: true })
  name: string | null = null;

  /** Event time (clock-skew corrected). */
  @Property({ type: 'datetime' })
  timestamp!: Date;

  /** `Order Completed` revenue (`revenue`, else `total`), when present. */
  @Property({ type: 'double', nullable: true })
  revenue: number | null = null;
}
