import { Entity, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import type { ExperimentStep } from '../domain/playbook';
import type { WinnerDecision } from '../domain/uplift/auto-winner';
import type { MsprtState } from '../domain/uplift/msprt';

/**
 * An experiment step of a playbook, with an id that stays the same across the playbook's versions
 * (keyed on (playbook, step `key`)): its definition as the latest version states it, the running
 * state of its sequential test per variant, and the automatic winner once decided (set once, by a
 * compare-and-set on `winner_arm is null`).
 */
@Entity({ tableName: 'experiment' })
@Unique({ properties: ['tenantId', 'playbookId', 'key'] })
export class Experiment extends TenantEntity {
  @Property({ type: 'uuid' })
  playbookId!: string;

  @Property({ type: 'string', length: 64 })
  key!: string;

  /** The playbook version the definition was last taken from. */
  @Property({ type: 'integer' })
  playbookVersion!: number;

  /** The experiment step of that version. */
  @Property({ type: 'json' })
  definition!: ExperimentStep;

  /** The mSPRT state per variant after the last look (see uplift/auto-winner.ts). */
  @Property({ type: 'json' })
  sequential: Opt<Record<string, MsprtState>> = {};

  @Property({ type: 'datetime', nullable: true })
  lastLookAt: Opt<Date> | null = null;

  /** The automatic winner; from then on new assignments go to it or control. */
  @Property({ type: 'string', length: 32, nullable: true })
  winnerArm: Opt<string> | null = null;

  @Property({ type: 'datetime', nullable: true })
  winnerDecidedAt: Opt<Date> | null = null;

  @Property({ type: 'json', nullable: true })
  winnerDecision: Opt<WinnerDecision> | null = null;
}
