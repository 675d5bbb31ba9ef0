import { Index, PrimaryKey, Property, type Opt } from '@mikro-orm/core';
import { Field, ID, ObjectType } from 'type-graphql';
import { uuidv7 } from 'uuidv7';

/**
 * Columns every row has. `tenantId` is never exposed through GraphQL: it comes from the
 * signed context, and every query filters on it.
 */
@ObjectType()
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
