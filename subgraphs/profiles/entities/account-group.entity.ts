import { Entity, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import type { TraitTimestamps } from '../domain/traits';

/**
 * An account/company a `group` event names. Its traits are shared by every member and applied
 * last-write-wins by event time, like profile traits.
 */
@Entity({ tableName: 'account_group' })
@Unique({ properties: ['tenantId', 'groupId'] })
export class AccountGroup extends TenantEntity {
  /** The `groupId` the customer's app sends. */
  @Property({ type: 'string', length: 255 })
  groupId!: string;

  @Property({ type: 'json' })
  traits: Opt<Record<string, unknown>> = {};

  @Property({ type: 'json' })
  traitTimestamps: Opt<TraitTimestamps> = {};
}
