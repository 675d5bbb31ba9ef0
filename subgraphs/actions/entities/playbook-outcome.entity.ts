import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import type { AssignedArm } from '../domain/plan-assignments';

/** `outcome`: the playbook's outcome event; `guardrail`: one of its guardrail events. */
export type ObservationKind = 'outcome' | 'guardrail';

/**
 * One event of an assigned customer that counts for a playbook's measurement, inside the window
 * after assignment. Keyed on (assignment, kind, event id), so a replayed `playbook-events` job
 * counts nothing twice. The arm and assignment time are copied from the assignment, so the
 * per-arm counts of a period are one aggregate over this table.
 */
@Entity({ tableName: 'playbook_outcome' })
@Unique({ properties: ['assignmentId', 'kind', 'eventId'] })
@Index({ properties: ['tenantId', 'playbookId', 'assignedAt'] })
export class PlaybookOutcome extends TenantEntity {
  @Property({ type: 'uuid' })
  assignmentId!: string;

  @Property({ type: 'uuid' })
  playbookId!: string;

  @Property({ type: 'uuid' })
  profileId!: string;

  @Property({ type: 'string', length: 16 })
  arm!: AssignedArm;

  @Property({ type: 'datetime' })
  assignedAt!: Date;

  @Property({ type: 'string', length: 16 })
  kind!: ObservationKind;

  @Property({ type: 'string', length: 200 })
  eventName!: string;

  @Property({ type: 'string', length: 128 })
  eventId!: string;

  @Property({ type: 'datetime' })
  occurredAt!: Date;

  /** The amount, for a REVENUE outcome; null otherwise (or when the property was not a number). */
  @Property({ type: 'double', nullable: true })
  value: Opt<number> | null = null;
}
