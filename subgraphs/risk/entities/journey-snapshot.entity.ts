import { Entity, Index, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

export type JourneySnapshotState = 'active' | 'stalled' | 'completed' | 'abandoned';

/**
 * A journey instance as it was at one point (from `record-activity`): one row per state and step
 * reached, so the drop-off model can be trained on how finished instances looked along the way.
 */
@Entity({ tableName: 'journey_snapshot' })
@Unique({ properties: ['tenantId', 'instanceId', 'state', 'stepIndex'] })
@Index({ properties: ['tenantId', 'profileId'] })
@Index({ properties: ['tenantId', 'journeyId', 'instanceId'] })
export class JourneySnapshot extends TenantEntity {
  @Property({ type: 'uuid' })
  profileId!: string;

  @Property({ type: 'uuid' })
  instanceId!: string;

  @Property({ type: 'uuid' })
  journeyId!: string;

  @Property({ type: 'string', length: 255 })
  journeyName!: string;

  @Property({ type: 'string', length: 16 })
  state!: JourneySnapshotState;

  @Property({ type: 'integer' })
  stepIndex!: number;

  @Property({ type: 'integer' })
  stepCount!: number;

  @Property({ type: 'string', length: 64 })
  step!: string;

  @Property({ type: 'datetime' })
  stepReachedAt!: Date;

  @Property({ type: 'double', nullable: true })
  stepSlaMs: number | null = null;

  @Property({ type: 'datetime' })
  startedAt!: Date;

  @Property({ type: 'integer' })
  retries!: number;

  @Property({ type: 'datetime', nullable: true })
  endedAt: Date | null = null;

  @Property({ type: 'datetime' })
  observedAt!: Date;
}
