import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';

import { Field, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';

/**
 * A provider's delivery report on one sent message, as the callback accepted it: the SQL record of
 * the hand-off to the event stream. Stored before the callback answers 202, once per (message,
 * status); `pendingSince` stays set until `record-message-outcome` has put the event in the stream,
 * so a job lost to a Redis flush is queued again by the run reconciler.
 */
@ObjectType({ description: 'What the message’s provider reported after the send (its delivery-status callback): `createdAt` is when the report arrived.' })
@Entity({ tableName: 'delivery_report' })
@Unique({ properties: ['tenantId', 'deliveryId', 'status'] })
@Index({ properties: ['pendingSince'] })
export class DeliveryReport extends TenantEntity {
  /** The ledger row (`step_delivery`) of the message. */
  @Property({ type: 'uuid' })
  deliveryId!: string;

  /** delivered, bounced or complained. */
  @Field(() => String, { description: '`delivered`, `bounced` or `complained`.' })
  @Property({ type: 'string', length: 16 })
  status!: string;

  @Field(() => String, { nullable: true, description: 'The provider’s reason (a bounce code, a complaint type), when it gave one.' })
  @Property({ type: 'text', nullable: true })
  reason: string | null = null;

  /** When the provider says it happened (else when the report arrived); the first report's is kept. */
  @Field(() => Date, { description: 'When the provider says it happened (else when the report arrived).' })
  @Property({ type: 'datetime' })
  occurredAt!: Date;

  /** Set while the report's event is not yet in the stream. */
  @Property({ type: 'datetime', nullable: true })
  pendingSince: Opt<Date> | null = null;
}
