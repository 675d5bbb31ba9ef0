import { Entity, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/**
 * A profile merged into another by the profiles stage: signals re-points its rows to the
 * survivor, and events resolved under the old id later (late or reordered jobs) follow it too.
 */
@Entity({ tableName: 'profile_alias' })
@Unique({ properties: ['tenantId', 'mergedProfileId'] })
export class ProfileAlias extends TenantEntity {
  @Property({ type: 'uuid' })
  mergedProfileId!: string;

  @Property({ type: 'uuid' })
  survivorProfileId!: string;
}
