import { Entity, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/**
 * A profile merged into another by the profiles stage: actions re-points its alerts to the
 * survivor, and an alert raised under the old id later (a late crossing) goes to the survivor too.
 */
@Entity({ tableName: 'profile_alias' })
@Unique({ properties: ['tenantId', 'mergedProfileId'] })
export class ProfileAlias extends TenantEntity {
  @Property({ type: 'uuid' })
  mergedProfileId!: string;

  @Property({ type: 'uuid' })
  survivorProfileId!: string;
}
