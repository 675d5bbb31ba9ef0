import { Entity, EntityRepositoryType, Index, Property, Unique, type Opt } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';
import type { EventType } from '../../common/queues';
import { EventRepository } from './event.repository';

/**
 * One ingested Segment event, and the outbox of the pipeline: it is stored before the client gets
 * its 200, then queued for identity resolution. `enqueuedAt` and `processedAt` let the sweeper
 * find events whose job was lost (Redis flushed, crash between commit and enqueue).
 */
@ObjectType({ description: 'A behavioural event as ingested (Segment tracking spec).' })
@Entity({ tableName: 'event', repository: () => EventRepository })
@Unique({ properties: ['tenantId', 'messageId'] })
@Index({ properties: ['tenantId', 'profileId', 'timestamp'] })
// the playbook-events sweep: partial, so the hottest table's index holds only the few rows in flight
@Index({
  name: 'event_playbook_events_pending_since_index',
  expression: (table, columns, name) => `create index "${name}" on ${table} ("${columns.playbookEventsPendingSince}") where "${columns.playbookEventsPendingSince}" is not null`,
})
// the handed-on watermark's reads (`notHandedOn`: per tenant, the oldest receipt and the count of
// events not yet handed on to risk), after every batch: partial, so they walk only the events in
// flight. Through the tenant index they walked the tenant's whole history each time (PostgreSQL:
// 9.7 million rows read in the pipeline bench, a cost that grew with the tenant, not the backlog).
// They also serve the sweeps that cross tenants (the outbox's unprocessed rows, the hand-offs
// never acknowledged). There is no full index on `processedAt` or a marker: every event is
// updated three times on its way (taken over, then each hand-off acknowledged), and PostgreSQL
// adds an entry to every full index at each update (a changed indexed column rules out a HOT
// update), so two full indexes were a third of the detect and acknowledgement UPDATEs' cost
@Index({
  name: 'event_unprocessed_index',
  expression: (table, columns, name) => `create index "${name}" on ${table} ("${columns.tenantId}", "${columns.receivedAt}") where "${columns.processedAt}" is null`,
})
@Index({
  name: 'event_hand_off_pending_index',
  expression: (table, columns, name) => `create index "${name}" on ${table} ("${columns.tenantId}", "${columns.receivedAt}") where "${columns.handOffPendingSince}" is not null`,
})
export class Event extends TenantEntity {
  [EntityRepositoryType]?: EventRepository;

  @Field(() => String, { description: 'Client-chosen id; a repeat of it is a duplicate and ignored.' })
  @Property({ type: 'string', length: 255 })
  messageId!: string;

  @Field(() => String, { description: 'track, identify, page, screen, group or alias.' })
  @Property({ type: 'string', length: 16 })
  type!: EventType;

  @Field(() => String, { nullable: true, description: 'The `track` event name, or the page/screen name.' })
  @Property({ type: 'string', length: 255, nullable: true })
  name: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 255, nullable: true })
  userId: string | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 255, nullable: true })
  anonymousId: string | null = null;

  @Field(() => String, { nullable: true, description: '`alias`: the identity linked to `userId`.' })
  @Property({ type: 'string', length: 255, nullable: true })
  previousId: string | null = null;

  @Field(() => String, { nullable: true, description: '`group`: the account/company id.' })
  @Property({ type: 'string', length: 255, nullable: true })
  groupId: string | null = null;

  @Field(() => GraphQLJSONObject)
  @Property({ type: 'json' })
  properties: Opt<Record<string, unknown>> = {};

  @Field(() => GraphQLJSONObject)
  @Property({ type: 'json' })
  traits: Opt<Record<string, unknown>> = {};

  @Field(() => GraphQLJSONObject)
  @Property({ type: 'json' })
  context: Opt<Record<string, unknown>> = {};

  @Field(() => Date, { description: 'When the event happened, corrected for client clock skew.' })
  @Property({ type: 'datetime' })
  timestamp!: Date;

  @Field(() => Date, { nullable: true, description: 'The event time as the client sent it.' })
  @Property({ type: 'datetime', nullable: true })
  originalTimestamp: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When the client sent the request, by its clock.' })
  @Property({ type: 'datetime', nullable: true })
  sentAt: Date | null = null;

  @Field(() => Date, { description: 'When Foresight received the request.' })
  @Property({ type: 'datetime' })
  receivedAt!: Date;

  @Field(() => ID, { nullable: true, description: 'The profile the event was resolved to; null until then.' })
  @Property({ type: 'uuid', nullable: true })
  profileId: string | null = null;

  /** When the resolve job was last queued; null until the first enqueue succeeds. */
  @Property({ type: 'datetime', nullable: true })
  enqueuedAt: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When identity resolution finished; null until then.' })
  @Property({ type: 'datetime', nullable: true })
  processedAt: Date | null = null;

  /**
   * When the signals stage took the event over (marked it processed) and has not yet handed the
   * batch on to the risk stage (`record-activity`); null once handed on, and for every event
   * before the stage existed. The sweeper re-drives events pending past the grace period.
   */
  @Property({ type: 'datetime', nullable: true })
  handOffPendingSince: Date | null = null;

  /**
   * When the signals stage handed this named, attributed event to the actions stage
   * (`playbook-events`, the runs waiting for it) and actions has not yet acknowledged it
   * (`playbook-events-done`); null once acknowledged, and for events never handed over. The
   * sweeper re-sends events pending past the grace period, so a lost job never lets a waiting
   * run follow its timeout branch.
   */
  @Property({ type: 'datetime', nullable: true })
  playbookEventsPendingSince: Date | null = null;
}
