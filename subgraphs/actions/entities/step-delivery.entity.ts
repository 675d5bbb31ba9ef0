import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';

import { Field, ID, Int, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';

export type DeliveryStatus = 'claimed' | 'sent' | 'failed' | 'skipped';

/**
 * The outbox of playbook sends and the delivery ledger in one: a row is claimed (inserted) for
 * (run, step, visit) before the channel is called, so a retried job finds it and never sends a
 * second time; its final status, provider id and error are the ledger entry `Profile.actions` lists.
 */
@ObjectType({ description: 'One entry of the delivery ledger: a playbook send (claimed, sent, failed = dead-lettered, or skipped with its reason).' })
@Entity({ tableName: 'step_delivery' })
@Unique({ properties: ['runId', 'stepId', 'visit'] })
@Index({ properties: ['tenantId', 'profileId', 'id'] })
export class StepDelivery extends TenantEntity {
  @Field(() => ID)
  @Property({ type: 'uuid' })
  runId!: string;

  @Field(() => ID)
  @Property({ type: 'uuid' })
  profileId!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 64 })
  stepId!: string;

  @Field(() => Int)
  @Property({ type: 'integer' })
  visit!: number;

  @Field(() => String)
  @Property({ type: 'string', length: 100 })
  channel!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 16 })
  status: Opt<DeliveryStatus> = 'claimed';

  /** Calls made to the provider (a crash after a call and before its outcome shows as a claimed row with attempts > 0). */
  @Field(() => Int)
  @Property({ type: 'integer' })
  attempts: Opt<number> = 0;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 200, nullable: true })
  providerId: Opt<string> | null = null;

  /** The last error, or why the send was skipped. */
  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  error: Opt<string> | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  finishedAt: Opt<Date> | null = null;
}
