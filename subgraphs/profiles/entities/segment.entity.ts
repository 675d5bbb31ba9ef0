import { Entity, EntityRepositoryType, Property, Unique, type Opt } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Int, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';
import type { SegmentCondition } from '../domain/segments/condition';
import { SegmentRepository } from './segment.repository';

/** A named condition over profiles; membership is kept current as profiles change and time passes. */
@ObjectType({ description: 'A named condition over profiles (traits, computed traits, identities, event windows).' })
@Entity({ tableName: 'segment', repository: () => SegmentRepository })
@Unique({ properties: ['tenantId', 'name'] })
export class Segment extends TenantEntity {
  [EntityRepositoryType]?: SegmentRepository;

  @Field(() => String)
  @Property({ type: 'string', length: 200 })
  name!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Field(() => GraphQLJSONObject, { description: 'The condition tree (see the README, "Segments").' })
  @Property({ type: 'json' })
  condition!: SegmentCondition;

  @Field(() => Boolean, { description: 'True when time alone can change membership; such segments are re-checked on a schedule.' })
  @Property({ type: 'boolean' })
  timeBased!: boolean;

  @Field(() => Int, { description: 'Starts at 1; every update adds one.' })
  @Property({ type: 'integer' })
  version: Opt<number> = 1;

  /**
   * Time up to which time-based membership is known to be current (the last completed re-check,
   * or the last change of the condition). The re-check only revisits profiles whose events
   * crossed a window edge since then. Not exposed.
   */
  @Property({ type: 'datetime', nullable: true })
  checkedThrough: Date | null = null;
}
