import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import type { PlaybookDefinition } from '../domain/playbook';
import type { PlaybookMeasurement } from '../domain/playbook-measurement';

/**
 * One version of a playbook. `playbookId` is stable across versions; an update stores a new row
 * with the next `version` and clears `current` on the old one, so runs keep the version they were
 * enrolled under (their steps never change under them).
 */
@Entity({ tableName: 'playbook_version' })
@Unique({ properties: ['tenantId', 'playbookId', 'version'] })
@Index({ properties: ['tenantId', 'current'] })
export class PlaybookVersion extends TenantEntity {
  @Property({ type: 'uuid' })
  playbookId!: string;

  @Property({ type: 'integer' })
  version!: number;

  /** The playbook's latest version. */
  @Property({ type: 'boolean' })
  current: Opt<boolean> = true;

  @Property({ type: 'string', length: 200 })
  name!: string;

  @Property({ type: 'text', nullable: true })
  description: Opt<string> | null = null;

  /** Archived: enrols nobody; runs already going continue. */
  @Property({ type: 'boolean' })
  archived: Opt<boolean> = false;

  @Property({ type: 'json' })
  definition!: PlaybookDefinition;

  /** Holdout, outcome and guardrails of this version; null on versions stored before them (defaults apply). */
  @Property({ type: 'json', nullable: true })
  measurement: Opt<PlaybookMeasurement> | null = null;

  /**
   * Paused by a guardrail (or an admin): enrols nobody and its runs were ended. Kept on the current
   * version and carried to the next one, so an update does not silently resume it.
   */
  @Property({ type: 'datetime', nullable: true })
  pausedAt: Opt<Date> | null = null;

  @Property({ type: 'text', nullable: true })
  pauseReason: Opt<string> | null = null;

  /**
   * Guardrails count the customers assigned from here on: set by `resumePlaybook`, so the
   * assignments that paused the playbook do not pause it again at once. Null: since the start.
   */
  @Property({ type: 'datetime', nullable: true })
  guardrailsFrom: Opt<Date> | null = null;
}
