import { Entity, Index, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/**
 * A goal event of an assigned customer inside the window: a conversion. Keyed on (assignment,
 * event id), so a replayed `playbook-events` job converts nobody twice; the arm and assignment time
 * are copied from the assignment, so conversions per arm are one aggregate.
 */
@Entity({ tableName: 'experiment_conversion' })
@Unique({ properties: ['assignmentId', 'eventId'] })
@Index({ properties: ['tenantId', 'experimentId', 'arm'] })
export class ExperimentConversion extends TenantEntity {
  @Property({ type: 'uuid' })
  assignmentId!: string;

  @Property({ type: 'uuid' })
  experimentId!: string;

  @Property({ type: 'uuid' })
  profileId!: string;

  @Property({ type: 'string', length: 32 })
  arm!: string;

  @Property({ type: 'string', length: 128 })
  eventId!: string;

  @Property({ type: 'datetime' })
  occurredAt!: Date;

  /** Copied from the assignment, so conversions of the customers assigned in a period are one aggregate. */
  @Property({ type: 'datetime' })
  assignedAt!: Date;
}
