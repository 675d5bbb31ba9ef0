import { Entity, EntityRepositoryType, Index, Property } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import { JourneyStepRepository } from './journey-step.repository';

/**
 * One reached step of one instance, rewritten with the instance: the analytics projection the
 * funnel's medians are computed from in SQL (ordered index on the duration, no full load).
 */
@Entity({ tableName: 'journey_step', repository: () => JourneyStepRepository })
@Index({ properties: ['tenantId', 'definitionId', 'stepIndex', 'durationMs'] })
@Index({ properties: ['instanceId'] })
export class JourneyStepTime extends TenantEntity {
  [EntityRepositoryType]?: JourneyStepRepository;

  @Property({ type: 'uuid' })
  definitionId!: string;

  @Property({ type: 'uuid' })
  instanceId!: string;

  /** Start of the instance, for the funnel's [from, to) window. */
  @Property({ type: 'datetime' })
  instanceStartedAt!: Date;

  @Property({ type: 'integer' })
  stepIndex!: number;

  @Property({ type: 'string', length: 64 })
  stepKey!: string;

  @Property({ type: 'datetime' })
  reachedAt!: Date;

  /** Time until the next reached step, in ms; null while the instance has not moved on. */
  @Property({ type: 'double', nullable: true })
  durationMs: number | null = null;
}
