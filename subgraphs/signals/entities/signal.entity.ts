import { Entity, EntityRepositoryType, Index, Property, Unique } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';
import { SignalRepository } from './signal.repository';

/** A typed friction signal detected in a profile's behaviour, with its evidence. */
@ObjectType()
@Entity({ tableName: 'signal', repository: () => SignalRepository })
@Index({ properties: ['tenantId', 'profileId', 'detectedAt'] })
// the tenant-wide `signals` query: newest first
@Index({ properties: ['tenantId', 'detectedAt', 'id'] })
@Unique({ properties: ['tenantId', 'dedupeKey'] })
// the hand-off sweeper's read: signals whose alert rules have not been evaluated
@Index({ properties: ['alertsPendingSince'] })
export class Signal extends TenantEntity {
  [EntityRepositoryType]?: SignalRepository;

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

  @Field(() => ID, { nullable: true, description: 'The journey instance the friction happened in, when there is one.' })
  @Property({ type: 'uuid', nullable: true })
  journeyInstanceId: string | null = null;

  /** The same friction is recorded once: (tenant, dedupeKey) is unique. */
  @Property({ type: 'string', length: 255 })
  dedupeKey!: string;

  /**
   * When the follow-ups (SIGNAL_DETECTED, record-activity) were sent; null until then, so a job
   * retried after a crash between the insert and the follow-ups still sends them.
   */
  @Property({ type: 'datetime', nullable: true })
  announcedAt: Date | null = null;

  /** When a job claimed the follow-ups; another job takes over once the claim is stale. */
  @Property({ type: 'datetime', nullable: true })
  announceClaimedAt: Date | null = null;

  /**
   * The alerts hand-off: set when the signal is stored, cleared once actions has evaluated its
   * FRICTION_SIGNAL alert rules against it (`signal-alerts-done`). A crash before queueing, or a
   * `signal-alerts` job lost from Redis, leaves it set, and `sweep-events` queues the signal again
   * once it is older than `SWEEP_GRACE_MS`. Null on rows stored before alert rules saw signals.
   */
  @Property({ type: 'datetime', nullable: true })
  alertsPendingSince: Date | null = null;
}
