import { Entity, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import type { ChannelKind } from '../domain/channel';
import type { ChannelConfig } from '../domain/validate-channel';

/**
 * One stored secret of a channel. `value` is either `env:NAME` (read from the environment at send
 * time) or the AES-256-GCM sealed value (see `services/channels/secret-box.ts`); the plain value
 * is never stored and never leaves the subgraph.
 */
export interface StoredSecret {
  /** Stable id shown to administrators (`sec_<uuid>`), so a rotation can be followed. */
  id: string;
  value: string;
  createdAt: string;
  /** When a rotated-out secret stops being used (ISO); null: current. */
  expiresAt: string | null;
}

/**
 * An outbound channel of a tenant (email, SMS, push or webhook) as an administrator configured
 * it. `config` holds no secrets; `secrets` holds the sealed ones, newest last.
 */
@Entity({ tableName: 'channel' })
@Unique({ properties: ['tenantId', 'name'] })
export class Channel extends TenantEntity {
  @Property({ type: 'string', length: 64 })
  name!: string;

  // plain columns for enums: SQLite's enum CHECK constraints make the schema diff never settle
  @Property({ type: 'string', length: 16 })
  kind!: ChannelKind;

  @Property({ type: 'json' })
  config!: ChannelConfig;

  @Property({ type: 'json' })
  secrets: Opt<StoredSecret[]> = [];

  @Property({ type: 'boolean' })
  enabled: Opt<boolean> = true;

  @Property({ type: 'text', nullable: true })
  disabledReason: Opt<string> | null = null;

  @Property({ type: 'datetime', nullable: true })
  disabledAt: Opt<Date> | null = null;

  /** Failed webhook tries in a row; a success resets it, too many disable the channel. */
  @Property({ type: 'integer', default: 0 })
  consecutiveFailures: Opt<number> = 0;
}
