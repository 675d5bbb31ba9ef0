import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';

import { Field, ID, Int, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';

export type DeliveryStatus = 'claimed' | 'sent' | 'failed' | 'skipped';

/**
 * The outbox of playbook sends and the delivery ledger in one: a row is claimed (inserted) for
 * (run, step, visit) before the channel is called, so a retried job finds it and never sends a
 * second time; its final status, provider id and error are the ledger entry `Profile.actions` lists.
 */
@ObjectType({ description: 'One entry of the delivery ledger: a playbook send (claimed, sent, failed = dead-lettered and replayable with `replaySend`, or skipped with its reason).' })
@Entity({ tableName: 'step_delivery' })
@Unique({ properties: ['runId', 'stepId', 'visit'] })
@Index({ properties: ['tenantId', 'profileId', 'id'] })
// the tenant's whole ledger, newest first (`ledger`, paged to export it)
@Index({ properties: ['tenantId', 'id'] })
// a provider's delivery-status callback names the message by the id the provider gave it
@Index({ properties: ['tenantId', 'channel', 'providerId'] })
// the reconciler's scan for outcomes not yet in the event stream: partial, only the rows in flight
@Index({
  name: 'step_delivery_outcome_event_pending_since_index',
  expression: (table, columns, name) => `create index "${name}" on ${table} ("${columns.outcomeEventPendingSince}") where "${columns.outcomeEventPendingSince}" is not null`,
})
// the reconciler's scan for replays (`replaySend`) whose job was lost: partial, only the replays in flight
@Index({
  name: 'step_delivery_replay_requested_at_index',
  expression: (table, columns, name) => `create index "${name}" on ${table} ("${columns.replayRequestedAt}") where "${columns.replayRequestedAt}" is not null`,
})
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

  /**
   * When a playbook send's final outcome was stored and its `Message Sent` / `Message Failed`
   * event not yet recorded in the tenant's stream (`record-message-outcome`); null once recorded,
   * and for webhook steps (no message event). Set by the UPDATE that stores the outcome; the run
   * reconciler re-queues the event of a row pending past `SWEEP_GRACE_MS`.
   */
  @Property({ type: 'datetime', nullable: true })
  outcomeEventPendingSince: Opt<Date> | null = null;

  /** Times a dead-lettered send was sent again (`replaySend`); the first send is replay 0. */
  @Field(() => Int, { description: 'Times this dead-lettered send was sent again with `replaySend` (0: never).' })
  @Property({ type: 'integer', default: 0 })
  replays: Opt<number> = 0;

  /**
   * When the replay in flight (`replays`) was asked for, or when it is due once deferred past
   * quiet hours; null when no replay is in flight. Set by `replaySend`'s compare-and-set, cleared by
   * the UPDATE that stores the replay's outcome; the run reconciler queues the replay again while
   * it is older than `SWEEP_GRACE_MS` (its job lost to a Redis flush or a crash).
   */
  @Property({ type: 'datetime', nullable: true })
  replayRequestedAt: Opt<Date> | null = null;
}
