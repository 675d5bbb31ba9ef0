import { Entity, Property, Unique, type Opt } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/**
 * A tenant's guardrails for one channel: quiet hours (local `HH:MM`, read in the customer's
 * `timezone` trait, else `timezone`) and a frequency cap per customer. See domain/contact-policy.ts.
 */
@Entity({ tableName: 'contact_policy' })
@Unique({ properties: ['tenantId', 'channel'] })
export class ContactPolicyRow extends TenantEntity {
  /** The channel's name (as a send step names it). */
  @Property({ type: 'string', length: 100 })
  channel!: string;

  @Property({ type: 'string', length: 5, nullable: true })
  quietStart: Opt<string> | null = null;

  @Property({ type: 'string', length: 5, nullable: true })
  quietEnd: Opt<string> | null = null;

  @Property({ type: 'string', length: 64 })
  timezone: Opt<string> = 'UTC';

  @Property({ type: 'integer', nullable: true })
  capCount: Opt<number> | null = null;

  @Property({ type: 'integer', nullable: true })
  capWindowSeconds: Opt<number> | null = null;
}
