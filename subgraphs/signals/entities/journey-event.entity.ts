import { Entity, EntityRepositoryType, Index, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import { JourneyEventRepository } from './journey-event.repository';

/**
 * An event that matched a journey, with what it meant (steps reached, failures): the input of the
 * replay. Unique per (definition, event), which makes `advance` idempotent per event id.
 */
@Entity({ tableName: 'journey_event', repository: () => JourneyEventRepository })
@Unique({ properties: ['tenantId', 'definitionId', 'eventId'] })
@Index({ properties: ['tenantId', 'definitionId', 'profileId', 'timestamp'] })
export class JourneyEvent extends TenantEntity {
  [EntityRepositoryType]?: JourneyEventRepository;

  @Property({ type: 'uuid' })
  definitionId!: string;

  @Property({ type: 'uuid' })
  profileId!: string;

  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'string', length: 255 })
  eventName!: string;

  @Property({ type: 'datetime' })
  timestamp!: Date;

  /** Keys of the steps the event reaches. */
  @Property({ type: 'json' })
  steps!: string[];

  /** Keys of the steps the event is a failed attempt at. */
  @Property({ type: 'json' })
  failures!: string[];
}
