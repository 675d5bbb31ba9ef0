import { Entity, EntityRepositoryType, Index, ManyToOne, Property, Unique, type Ref } from '@mikro-orm/core';
import { Field, ObjectType, registerEnumType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';
import { IdentityRepository } from './identity.repository';
import type { Profile } from './profile.entity';

export enum IdentityType {
  USER_ID = 'user_id',
  EMAIL = 'email',
  ANONYMOUS_ID = 'anonymous_id',
  PHONE = 'phone',
  EXTERNAL = 'external',
}
registerEnumType(IdentityType, { name: 'IdentityType', description: 'Kinds of identifier a profile is known by.' });

/** An identifier pointing at one profile; unique per tenant, so two profiles never share one. */
@ObjectType()
@Entity({ tableName: 'identity', repository: () => IdentityRepository })
@Unique({ properties: ['tenantId', 'type', 'value'] })
// a profile's identities (`userIdsOf`, a merge moving them, the cascade on delete): without it each
// resolve batch walked every user id of the tenant, a cost that grew with the tenant, not the batch
@Index({ properties: ['tenantId', 'profile'] })
export class Identity extends TenantEntity {
  [EntityRepositoryType]?: IdentityRepository;

  @Field(() => IdentityType)
  // a plain column: SQLite's enum CHECK constraints make the schema diff never settle
  @Property({ type: 'string', length: 16 })
  type!: IdentityType;

  @Field(() => String)
  @Property({ type: 'string', length: 512 })
  value!: string;

  @ManyToOne({ entity: 'Profile', ref: true, deleteRule: 'cascade' })
  profile!: Ref<Profile>;
}
