import { Entity, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import { DEFAULT_CHURN_EVENTS, DEFAULT_SUPPORT_EVENTS } from '../domain/customer-contact';

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

  /**
   * Event names that mean the customer contacted support (a ticket, a call logged by the help
   * desk): an alert resolved before the first of them counts as resolved proactively.
   */
  @Property({ type: 'json', defaultRaw: `'${JSON.stringify(DEFAULT_SUPPORT_EVENTS)}'` })
  supportEvents: Opt<string[]> = [...DEFAULT_SUPPORT_EVENTS];

  /** Event names that mean the customer left (closed the account, cancelled): likewise. */
  @Property({ type: 'json', defaultRaw: `'${JSON.stringify(DEFAULT_CHURN_EVENTS)}'` })
  churnEvents: Opt<string[]> = [...DEFAULT_CHURN_EVENTS];
}
