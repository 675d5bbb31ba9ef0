import { Entity, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/**
 * A tenant's measurement settings: the secret salt of every assignment hash (generated on first
 * use, never exposed, so nobody can work out from an id who goes untreated) and its global
 * control group (the share of customers who get no playbook at all, redrawn every period).
 */
@Entity({ tableName: 'measurement_settings' })
@Unique({ properties: ['tenantId'] })
export class MeasurementSettings extends TenantEntity {
  @Property({ type: 'string', length: 64 })
  salt!: string;

  /** Share of the tenant's customers in the global control group. Default 0.05. */
  @Property({ type: 'double' })
  globalControlFraction: Opt<number> = 0.05;

  /** Days before the global control group is redrawn. Default 30. */
  @Property({ type: 'integer' })
  globalControlPeriodDays: Opt<number> = 30;
}
