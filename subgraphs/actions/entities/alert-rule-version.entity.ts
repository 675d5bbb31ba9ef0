import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import type { AlertConditions, AlertTrigger } from '../domain/alert-rule';

/**
 * One version of an alert rule. `ruleId` is stable across versions; an update stores a new row
 * with the next `version` and clears `current` on the old one, so alerts keep pointing at the
 * version they fired under. The GraphQL `AlertRule` is built from the current row.
 */
@Entity({ tableName: 'alert_rule' })
@Unique({ properties: ['tenantId', 'ruleId', 'version'] })
@Index({ properties: ['tenantId', 'current'] })
export class AlertRuleVersion extends TenantEntity {
  @Property({ type: 'uuid' })
  ruleId!: string;

  @Property({ type: 'integer' })
  version!: number;

  /** The rule's latest version. */
  @Property({ type: 'boolean' })
  current: Opt<boolean> = true;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'boolean' })
  enabled: Opt<boolean> = true;

  @Property({ type: 'boolean' })
  archived: Opt<boolean> = false;

  @Property({ type: 'string', length: 16 })
  severity!: string;

  @Property({ type: 'string', length: 100 })
  team!: string;

  @Property({ type: 'integer' })
  cooldownSeconds: Opt<number> = 0;

  @Property({ type: 'json' })
  trigger!: AlertTrigger;

  @Property({ type: 'json' })
  conditions: Opt<AlertConditions> = {};

  /** The playbook a firing enrols the profile in (its current version at the time); null: none. */
  @Property({ type: 'uuid', nullable: true })
  playbookId: Opt<string> | null = null;

  /** The tenant's default rule (the former hard-coded alert), created on first use. */
  @Property({ type: 'boolean' })
  builtIn: Opt<boolean> = false;
}
