import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import type { PropertyEquals } from '../domain/playbook';

/**
 * The experiment assignment log: the arm a customer got at an experiment step, once per
 * (experiment, profile), written in the transaction that moves the run past the step. Re-entry
 * reads it back (sticky even after a winner changed the shares). The goal is copied here, so
 * matching an event batch against assignments is one read.
 */
@Entity({ tableName: 'experiment_assignment' })
@Unique({ properties: ['tenantId', 'experimentId', 'profileId'] })
@Index({ properties: ['tenantId', 'profileId', 'windowEndsAt'] })
@Index({ properties: ['tenantId', 'experimentId', 'arm'] })
export class ExperimentAssignment extends TenantEntity {
  @Property({ type: 'uuid' })
  experimentId!: string;

  @Property({ type: 'uuid' })
  playbookId!: string;

  @Property({ type: 'integer' })
  playbookVersion!: number;

  @Property({ type: 'uuid' })
  profileId!: string;

  @Property({ type: 'string', length: 32 })
  arm!: string;

  /** Assigned after the automatic winner was decided (under the winner's shares, for the SRM check). */
  @Property({ type: 'boolean' })
  afterWinner: Opt<boolean> = false;

  /** The run whose step made the assignment. */
  @Property({ type: 'uuid' })
  runId!: string;

  @Property({ type: 'datetime' })
  assignedAt!: Date;

  /** assignedAt + the goal window: goal events at or after it are not conversions. */
  @Property({ type: 'datetime' })
  windowEndsAt!: Date;

  @Property({ type: 'string', length: 200 })
  goalEvent!: string;

  @Property({ type: 'json' })
  goalWhere: Opt<PropertyEquals[]> = [];
}
