import { Filter, Index, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { uuidv7 } from 'uuidv7';

import { TENANT_FILTER, tenantCondition, type TenantFilterParams } from './tenant-filter';

/**
 * Columns every row has. `tenantId` is never exposed through GraphQL: it comes from the
 * signed context, and every query filters on it. The `tenant` filter (see `tenant-filter.ts`)
 * makes an entity manager without a tenant fail instead of reading every tenant.
 */
@ObjectType()
@Filter({ name: TENANT_FILTER, cond: (params: TenantFilterParams) => tenantCondition(params), default: true })
export abstract class TenantEntity {
  @Field(() => ID)
  @PrimaryKey({ type: 'uuid' })
  id: Opt<string> = uuidv7();

  @Index()
  @Property({ type: 'string', length: 64 })
  tenantId!: string;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  createdAt: Opt<Date> = new Date();

  @Field(() => Date)
  @Property({ type: 'datetime', onUpdate: () => new Date() })
  updatedAt: Opt<Date> = new Date();
}
