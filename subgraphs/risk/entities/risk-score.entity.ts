import { Entity, Index, Property } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';

export enum RiskBucket {
  LOW = 'low',
  MEDIUM = 'medium',
  HIGH = 'high',
}
registerEnumType(RiskBucket, { name: 'RiskBucket', description: 'Low 0–50, Medium 50–75, High 75–100 by default.' });

/** One score of one profile; every change is a new row, so the rows are the history. */
@ObjectType()
@Entity({ tableName: 'risk_score' })
@Index({ properties: ['tenantId', 'profileId', 'kind', 'scoredAt'] })
export class RiskScore extends TenantEntity {
  @Field(() => ID)
  @Property({ type: 'uuid' })
  profileId!: string;

  @Field(() => String, { description: 'Which risk: `churn`, `drop_off`, …' })
  @Property({ type: 'string', length: 32 })
  kind!: string;

  @Field(() => Float, { description: 'Risk on a 0–100 scale.' })
  @Property({ type: 'double' })
  score!: number;

  @Field(() => RiskBucket)
  // a plain column: SQLite's enum CHECK constraints make the schema diff never settle
  @Property({ type: 'string', length: 16 })
  bucket!: RiskBucket;

  @Field(() => GraphQLJSONObject, { description: 'Why: contributing factors and their evidence.' })
  @Property({ type: 'json' })
  reasons!: Record<string, unknown>;

  @Field(() => String, { description: 'Model (and version) that produced the score, or `prior`.' })
  @Property({ type: 'string', length: 128 })
  model!: string;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  scoredAt!: Date;
}
