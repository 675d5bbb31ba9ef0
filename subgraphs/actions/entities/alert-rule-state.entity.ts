import { Entity, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/**
 * What a rule remembers per profile (see `RuleState` in domain/evaluate-alert-rules.ts): the
 * trigger's side (the Schmitt trigger's armed/disarmed state), the last score seen, and when it
 * last raised an alert (the cool-down). Written once per batch, multi-row.
 */
@Entity({ tableName: 'alert_rule_state' })
@Unique({ properties: ['tenantId', 'ruleId', 'profileId'] })
export class AlertRuleState extends TenantEntity {
  @Property({ type: 'uuid' })
  ruleId!: string;

  @Property({ type: 'uuid' })
  profileId!: string;

  @Property({ type: 'boolean' })
  active: Opt<boolean> = false;

  @Property({ type: 'string', length: 128, nullable: true })
  lastTriggerId: Opt<string> | null = null;

  @Property({ type: 'datetime', nullable: true })
  lastFiredAt: Opt<Date> | null = null;
}
