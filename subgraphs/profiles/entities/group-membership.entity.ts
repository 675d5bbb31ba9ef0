import { Entity, Index, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/**
 * A profile's link to an account, one per (profile, group). Re-pointed to the survivor when
 * profiles merge.
 */
@Entity({ tableName: 'group_membership' })
@Unique({ properties: ['tenantId', 'profileId', 'groupId'] })
@Index({ properties: ['tenantId', 'groupId'] })
export class GroupMembership extends TenantEntity {
  @Property({ type: 'uuid' })
  profileId!: string;

  @Property({ type: 'string', length: 255 })
  groupId!: string;
}
