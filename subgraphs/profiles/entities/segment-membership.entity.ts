import { Entity, EntityRepositoryType, Index, ManyToOne, Property, Unique, type Opt, type Ref } from '@mikro-orm/core';
import { Field, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';
import { SegmentMembershipRepository } from './segment-membership.repository';
import type { Segment } from './segment.entity';

/**
 * One stay of a profile in a segment: `enteredAt` until `exitedAt` (null while it lasts). History
 * is kept: leaving closes the row, entering again opens a new one.
 */
@ObjectType({ description: 'A profile’s stay in a segment; `exitedAt` is null while it lasts.' })
@Entity({ tableName: 'segment_membership', repository: () => SegmentMembershipRepository })
// `current` is true while the stay lasts and null once it ended; NULLs are distinct in unique
// indexes on SQLite and PostgreSQL alike, so this allows one current stay per (segment, profile)
// and any number of ended ones.
@Unique({ properties: ['tenantId', 'segment', 'profileId', 'current'] })
@Index({ properties: ['tenantId', 'profileId', 'current'] })
@Index({ properties: ['segment', 'current', 'id'] })
// the hand-off sweeper's reads: entries and exits whose alert rules have not been evaluated
@Index({ properties: ['entryAlertsPendingSince'] })
@Index({ properties: ['exitAlertsPendingSince'] })
export class SegmentMembership extends TenantEntity {
  [EntityRepositoryType]?: SegmentMembershipRepository;

  @ManyToOne({ entity: 'Segment', ref: true, deleteRule: 'cascade' })
  segment!: Ref<Segment>;

  /** The profile (of this subgraph); a plain column so merges and deletions never cascade history away. */
  @Property({ type: 'uuid' })
  profileId!: string;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  enteredAt!: Date;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  exitedAt: Date | null = null;

  /** True while current, null after the exit (see the unique index). */
  @Property({ type: 'boolean', nullable: true })
  current: boolean | null = true;

  /**
   * Whether the entry (exit) was published and queued for the actions stage: set after the
   * announcement, so a job that crashed in between announces it on its next run.
   */
  @Property({ type: 'boolean' })
  entryAnnounced: Opt<boolean> = false;

  @Property({ type: 'boolean' })
  exitAnnounced: Opt<boolean> = false;

  /**
   * The alerts hand-off of the entry (exit): set when it is recorded, cleared once actions has
   * evaluated its SEGMENT alert rules against it (`segment-alerts-done`). A crash before queueing,
   * or a `segment-membership-changed` job lost from Redis, leaves it set, and `sweep-profiles`
   * queues the change again once it is older than `SWEEP_GRACE_MS`. Null on rows recorded before
   * alert rules saw segment changes.
   */
  @Property({ type: 'datetime', nullable: true })
  entryAlertsPendingSince: Date | null = null;

  @Property({ type: 'datetime', nullable: true })
  exitAlertsPendingSince: Date | null = null;
}
