import { Cascade, Collection, Entity, OneToMany, Property, type Opt } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Directive, Field, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';
import { Identity } from './identity.entity';

/** One real customer, as resolved from their identities. Owned by this subgraph. */
@ObjectType({ description: 'The unified customer profile. Other subgraphs extend it with their fields.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'profile' })
export class Profile extends TenantEntity {
  @Field(() => GraphQLJSONObject, { description: 'Latest traits, applied last-write-wins.' })
  @Property({ type: 'json' })
  traits: Opt<Record<string, unknown>> = {};

  /** Exposed by ProfileResolver.identities, which loads the collection (batched). */
  @OneToMany({ entity: () => Identity, mappedBy: 'profile', cascade: [Cascade.ALL], orderBy: { type: 'asc', value: 'asc' } })
  identities = new Collection<Identity>(this);
}
