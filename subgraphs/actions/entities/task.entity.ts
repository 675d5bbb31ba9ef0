import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';

import { Field, ID, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';

export type TaskStatusName = 'open' | 'done';

/** A human task for a team: created by a playbook's `createTask` step or by the `createTask` mutation. */
@ObjectType({ description: 'A human task for a team (open or done).' })
@Entity({ tableName: 'task' })
@Unique({ properties: ['tenantId', 'sourceKey'] })
@Index({ properties: ['tenantId', 'status', 'team'] })
@Index({ properties: ['tenantId', 'profileId', 'id'] })
@Index({ properties: ['status', 'escalatedAt', 'dueAt'] })
export class Task extends TenantEntity {
  @Field(() => ID)
  @Property({ type: 'uuid' })
  profileId!: string;

  @Field(() => ID, { nullable: true })
  @Property({ type: 'uuid', nullable: true })
  runId: Opt<string> | null = null;

  @Field(() => String)
  @Property({ type: 'string', length: 100 })
  team!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 500 })
  title!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 16 })
  priority!: string;

  @Field(() => String)
  @Property({ type: 'string', length: 16 })
  status: Opt<TaskStatusName> = 'open';

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 200, nullable: true })
  assignee: Opt<string> | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  dueAt: Opt<Date> | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 32, nullable: true })
  outcome: Opt<string> | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  note: Opt<string> | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  completedAt: Opt<Date> | null = null;

  /** The team an overdue task moves to (a playbook step's `escalateToTeam`); null: it stays with its team. */
  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 100, nullable: true })
  escalationTeam: Opt<string> | null = null;

  /** When the task escalated (open past its due time: one priority up, to its escalation team); null: not yet. */
  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  escalatedAt: Opt<Date> | null = null;

  /** Idempotency key: `run:<runId>:<stepId>:<visit>` for a playbook's task, `api:<uuid>` otherwise. */
  @Property({ type: 'string', length: 200 })
  sourceKey!: string;
}
