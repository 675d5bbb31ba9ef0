import { Entity, Index, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';

/** A typed friction signal detected in a profile's behaviour, with its evidence. */
@ObjectType()
@Entity({ tableName: 'signal' })
@Index({ properties: ['tenantId', 'profileId', 'detectedAt'] })
@Unique({ properties: ['tenantId', 'dedupeKey'] })
export class Signal extends TenantEntity {
  @Field(() => ID)
  @Property({ type: 'uuid' })
  profileId!: string;

  @Field(() => String, { description: 'e.g. `retry_loop`, `stall`, `negative_feedback`.' })
  @Property({ type: 'string', length: 64 })
  type!: string;

  @Field(() => Float, { description: '0 (mild) to 1 (severe).' })
  @Property({ type: 'double' })
  severity!: number;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  detectedAt!: Date;

  @Field(() => GraphQLJSONObject, { description: 'The events and numbers that triggered the signal.' })
  @Property({ type: 'json' })
  evidence!: Record<string, unknown>;

  /** The same friction is recorded once: (tenant, dedupeKey) is unique. */
  @Property({ type: 'string', length: 255 })
  dedupeKey!: string;
}
