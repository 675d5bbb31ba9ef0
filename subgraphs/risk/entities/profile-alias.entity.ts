import { Entity, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/**
 * A profile merged into another by the profiles stage: risk re-points its rows to the survivor,
 * and activity that still arrives under the old id (late or reordered jobs) follows it too.
 */
@Entity({ tableName: 'profile_alias' })
@Unique({ properties: ['tenantId', 'mergedProfileId'] })
export class ProfileAlias extends TenantEntity {
  @Property({ type: 'uuid' })
  mergedProfileId!: string;

  @Property({ type: 'uuid' })
  survivorProfileId!: string;
}
