import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';
import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';

export enum AlertStatus {
  OPEN = 'open',
  ACKNOWLEDGED = 'acknowledged',
}
registerEnumType(AlertStatus, { name: 'AlertStatus' });

/** A risk threshold crossing that a team must look at. */
@ObjectType()
@Entity({ tableName: 'alert' })
@Index({ properties: ['tenantId', 'profileId', 'createdAt'] })
@Unique({ properties: ['tenantId', 'sourceKey'] })
export class Alert extends TenantEntity {
  @Field(() => ID)
  @Property({ type: 'uuid' })
  profileId!: string;

  @Field(() => String, { description: 'What raised it, e.g. `risk_high`.' })
  @Property({ type: 'string', length: 64 })
  type!: string;

  @Field(() => Float, { description: 'The risk score (0–100) at the time.' })
  @Property({ type: 'double' })
  score!: number;

  @Field(() => String)
  @Property({ type: 'text' })
  message!: string;

  @Field(() => AlertStatus)
  // a plain column: SQLite's enum CHECK constraints make the schema diff never settle
  @Property({ type: 'string', length: 16 })
  status: Opt<AlertStatus> = AlertStatus.OPEN;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  acknowledgedAt: Opt<Date> | null = null;

  /** Idempotency key: the risk score that raised it, so a retried job raises one alert. */
  @Property({ type: 'string', length: 128 })
  sourceKey!: string;
}
