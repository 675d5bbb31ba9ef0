import { Entity, EntityRepositoryType, Index, Property, Unique, type Opt } from '@mikro-orm/core';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';
import type { JourneyState } from '../domain/journeys/progress';
import { JourneyStateEnum, JourneyStepProgress } from '../resolvers/journey.type';
import { JourneyInstanceRepository } from './journey-instance.repository';

/** A step reached, as stored (JSON: ISO time). */
export interface StoredStep {
  key: string;
  reachedAt: string;
  eventId: string;
}

/**
 * One run of a journey by one profile. Everything event-derived (start, steps, completion) is
 * recomputed from the instance's matching events sorted by event time on every advance, so late
 * events land where they belong; the time-based marks (stalled, exited, abandoned) are set by the
 * sweep at their deadlines.
 */
@ObjectType({ description: 'One run of a journey by one customer.' })
// an entity, so the risk subgraph can add `dropOffRisk`
@Directive('@key(fields: "id")')
@Entity({ tableName: 'journey_instance', repository: () => JourneyInstanceRepository })
// two concurrent replays cannot both create the instance a start event opens
@Unique({ properties: ['tenantId', 'definitionId', 'startEventId'] })
@Index({ properties: ['tenantId', 'profileId', 'state'] })
@Index({ properties: ['tenantId', 'definitionId', 'startedAt'] })
@Index({ properties: ['tenantId', 'definitionId', 'profileId', 'startedAt'] })
// the sweep's scan: open instances whose next deadline has come
@Index({ properties: ['tenantId', 'nextCheckAt'] })
@Index({ properties: ['nextCheckAt'] })
// the hand-off sweeper's read: instances whose alert rules have not seen their latest state
@Index({ properties: ['alertsPendingSince'] })
export class JourneyInstance extends TenantEntity {
  [EntityRepositoryType]?: JourneyInstanceRepository;

  @Field(() => ID)
  @Property({ type: 'uuid' })
  definitionId!: string;

  @Field(() => ID)
  @Property({ type: 'uuid' })
  profileId!: string;

  @Field(() => JourneyStateEnum)
  @Property({ type: 'string', length: 16 })
  state: Opt<JourneyState> = 'active';

  @Field(() => String, { description: 'Key of the furthest step reached.' })
  @Property({ type: 'string', length: 64 })
  currentStep!: string;

  /** Index of `currentStep` in the definition when last replayed (the funnel's "reached"). */
  @Property({ type: 'integer' })
  currentStepIndex!: number;

  /** Reached steps in step order. */
  @Property({ type: 'json' })
  stepTimes!: StoredStep[];

  /** The event that started the instance: keeps the instance's identity across replays. */
  @Property({ type: 'uuid' })
  startEventId!: string;

  @Property({ type: 'uuid' })
  lastEventId!: string;

  @Field(() => Date)
  @Property({ type: 'datetime' })
  startedAt!: Date;

  @Field(() => Date, { description: 'Time of the latest event of this journey.' })
  @Property({ type: 'datetime' })
  lastEventAt!: Date;

  @Field(() => Date, { description: 'Time of the customer’s latest event of any kind since the start (session activity).' })
  @Property({ type: 'datetime' })
  lastSeenAt!: Date;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  completedAt: Date | null = null;

  @Field(() => String, { nullable: true, description: 'The step it stalled at (while STALLED).' })
  @Property({ type: 'string', length: 64, nullable: true })
  stalledStep: string | null = null;

  @Field(() => Date, { nullable: true, description: 'When it stalled: the step’s SLA deadline.' })
  @Property({ type: 'datetime', nullable: true })
  stalledAt: Date | null = null;

  @Field(() => Date, {
    nullable: true,
    description: 'When the customer’s session ended mid-journey (last activity + session timeout); null again once they are back.',
  })
  @Property({ type: 'datetime', nullable: true })
  exitedAt: Date | null = null;

  @Field(() => Date, { nullable: true, description: 'When the journey SLA ran out without completion.' })
  @Property({ type: 'datetime', nullable: true })
  abandonedAt: Date | null = null;

  /**
   * Retry loops already returned by `advance`: dedupe key → id of the event whose advance returned
   * it. A loop completed by concurrent events is returned by whichever replay sees it first, and
   * again only to a replay of that event or of one of its own events.
   */
  @Property({ type: 'json' })
  loopReports: Opt<Record<string, string>> = {};

  /** Earliest pending deadline (stall, exit, abandonment); null once completed or abandoned. */
  @Property({ type: 'datetime', nullable: true })
  nextCheckAt: Date | null = null;

  /**
   * The alerts hand-off: set (to a new time) whenever the instance changes, in the transaction that
   * changes it; cleared once actions has evaluated its JOURNEY alert rules against the instance as
   * of that time (`journey-alerts-done` names the marker it saw, so a later change stays pending).
   * A lost `journey-alerts` job leaves it set, and `sweep-events` sends the instance's states again
   * once it is older than `SWEEP_GRACE_MS`.
   */
  @Property({ type: 'datetime', nullable: true })
  alertsPendingSince: Date | null = null;

  @Field(() => [JourneyStepProgress], { description: 'Steps reached, in step order.' })
  get steps(): Opt<JourneyStepProgress[]> {
    return this.stepTimes.map((s) => ({ key: s.key, reachedAt: new Date(s.reachedAt), eventId: s.eventId }));
  }

  @Field(() => Boolean, { description: 'True while the customer has left mid-journey (see exitedAt).' })
  get exited(): Opt<boolean> {
    return this.exitedAt !== null;
  }
}
