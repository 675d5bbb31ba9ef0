import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';

import { Field, ID, Int, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';
import type { PlaybookDefinition, PropertyEquals } from '../domain/playbook';
import type { RunFacts, RunStatus, StepRecord } from '../domain/playbook-run';

/**
 * One customer going through one playbook version: the whole state of the run (see `RunState` in
 * domain/playbook-run.ts), so the action queue's jobs carry only ids and a run survives the loss
 * of every job in Redis (the reconciler queues due steps again from here).
 */
@ObjectType({ description: 'One customer going through one playbook version.' })
@Entity({ tableName: 'playbook_run' })
// at most one live run of a playbook per profile: `liveKey` is 'live' while the run is, null after
// (NULLs never collide in a unique index, on SQLite and PostgreSQL alike)
@Unique({ properties: ['tenantId', 'playbookId', 'profileId', 'liveKey'] })
@Index({ properties: ['status', 'nextDueAt'] })
@Index({ properties: ['tenantId', 'profileId'] })
export class PlaybookRun extends TenantEntity {
  @Field(() => ID)
  @Property({ type: 'uuid' })
  playbookId!: string;

  @Field(() => Int)
  @Property({ type: 'integer' })
  playbookVersion!: number;

  @Field(() => ID)
  @Property({ type: 'uuid' })
  profileId!: string;

  // plain columns for enums: SQLite's enum CHECK constraints make the schema diff never settle
  @Field(() => String)
  @Property({ type: 'string', length: 16 })
  status!: RunStatus;

  @Property({ type: 'string', length: 8, nullable: true })
  liveKey: Opt<string> | null = 'live';

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 64, nullable: true })
  stepId: Opt<string> | null = null;

  /** Steps entered so far; (stepId, visit) names one execution of a step (job id, outbox key). */
  @Field(() => Int)
  @Property({ type: 'integer' })
  visit: Opt<number> = 0;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  nextDueAt: Opt<Date> | null = null;

  @Property({ type: 'datetime', nullable: true })
  enteredAt: Opt<Date> | null = null;

  @Property({ type: 'json', nullable: true })
  waitingFor: Opt<{ event: string; where: PropertyEquals[] }> | null = null;

  @Property({ type: 'json' })
  history: Opt<StepRecord[]> = [];

  /** What the run knew at enrolment (profile traits, risk, the alert), for templates and branches. */
  @Property({ type: 'json' })
  facts!: RunFacts;

  /** A one-off action's own definition (`triggerAction`); null: the playbook version's. */
  @Property({ type: 'json', nullable: true })
  definition: Opt<PlaybookDefinition> | null = null;

  /** `alert:<alertId>`, `api:<requestId>`, `action:<key>`, … */
  @Field(() => String)
  @Property({ type: 'string', length: 128 })
  enrolledBy!: string;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 500, nullable: true })
  endReason: Opt<string> | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  endedAt: Opt<Date> | null = null;
}
