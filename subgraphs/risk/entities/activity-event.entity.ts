import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import type { EventType } from '../../common/queues';

/**
 * Risk's own copy of what a profile did (from `record-activity` jobs): the history models are
 * trained on and profiles are scored from. Only what features need is kept.
 */
@Entity({ tableName: 'activity_event' })
@Unique({ properties: ['tenantId', 'eventId'] })
@Index({ properties: ['tenantId', 'profileId', 'timestamp'] })
@Index({ properties: ['tenantId', 'timestamp'] })
export class ActivityEvent extends TenantEntity {
  @Property({ type: 'uuid' })
  profileId!: string;

  /** The signals subgraph's event id: the key that makes a replayed job harmless. */
  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'string', length: 16 })
  type!: EventType;

  @Property({ type: 'string', length: 255, nullable: true })
  name: string | null = null;

  @Property({ type: 'datetime' })
  timestamp!: Date;

  @Property({ type: 'double', nullable: true })
  revenue: number | null = null;

  /** identify/group traits, for trait features as of a date. */
  @Property({ type: 'json' })
  traits: Opt<Record<string, unknown>> = {};
}
