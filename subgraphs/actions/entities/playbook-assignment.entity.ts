import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import type { OutcomeKind } from '../domain/playbook-measurement';
import type { AssignedArm } from '../domain/plan-assignments';

/**
 * The assignment log: the arm a customer got in a playbook when first enrolled (treatment, the
 * playbook's holdout `control`, or the tenant's `global_control`), with what measuring it needs.
 * One row per (playbook, profile): the first assignment is the one measured, and re-entry lands
 * in the same arm anyway (the arm is a hash, the log records it). The outcome definition of the
 * version is copied here, so matching an event batch against assignments is one read.
 */
@Entity({ tableName: 'playbook_assignment' })
@Unique({ properties: ['tenantId', 'playbookId', 'profileId'] })
@Index({ properties: ['tenantId', 'profileId', 'windowEndsAt'] })
@Index({ properties: ['tenantId', 'playbookId', 'assignedAt'] })
export class PlaybookAssignment extends TenantEntity {
  @Property({ type: 'uuid' })
  playbookId!: string;

  @Property({ type: 'integer' })
  playbookVersion!: number;

  @Property({ type: 'uuid' })
  profileId!: string;

  // plain column for the enum: SQLite's enum CHECK constraints make the schema diff never settle
  @Property({ type: 'string', length: 16 })
  arm!: AssignedArm;

  @Property({ type: 'datetime' })
  assignedAt!: Date;

  /** The customer's CLV at assignment (from the risk change that enrolled it); null when unknown. */
  @Property({ type: 'double', nullable: true })
  clv: Opt<number> | null = null;

  /** The run that recorded the enrolment (held out or not). */
  @Property({ type: 'uuid', nullable: true })
  runId: Opt<string> | null = null;

  @Property({ type: 'string', length: 16 })
  outcomeKind!: OutcomeKind;

  @Property({ type: 'string', length: 200 })
  outcomeEvent!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  revenueProperty: Opt<string> | null = null;

  /** assignedAt + the outcome window: events at or after it count for nothing. */
  @Property({ type: 'datetime' })
  windowEndsAt!: Date;

  @Property({ type: 'json' })
  guardrails: Opt<string[]> = [];
}
