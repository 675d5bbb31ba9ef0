import { Field, Int, ObjectType } from 'type-graphql';

import type { ContactPolicyRow } from '../entities/contact-policy.entity';

@ObjectType({ description: 'Guardrails of one channel of your tenant: quiet hours in the customer’s time zone and a frequency cap per customer.' })
export class ContactPolicy {
  @Field(() => String, { description: 'The channel’s name.' })
  channel!: string;

  @Field(() => String, { nullable: true, description: 'Local `HH:MM` the quiet window starts (inclusive); a window may wrap midnight.' })
  quietHoursStart!: string | null;

  @Field(() => String, { nullable: true, description: 'Local `HH:MM` the quiet window ends (exclusive): deferred sends go out then.' })
  quietHoursEnd!: string | null;

  @Field(() => String, { description: 'IANA zone for customers without a `timezone` trait.' })
  timezone!: string;

  @Field(() => Int, { nullable: true, description: 'At most this many sends per customer per window; further sends are skipped (reason in the ledger).' })
  capCount!: number | null;

  @Field(() => Int, { nullable: true, description: 'The rolling cap window, seconds.' })
  capWindowSeconds!: number | null;

  @Field(() => Date)
  updatedAt!: Date;
}

/** A stored row as the API shows it. */
export function contactPolicyTypeOf(row: ContactPolicyRow): ContactPolicy {
  return { channel: row.channel, quietHoursStart: row.quietStart, quietHoursEnd: row.quietEnd, timezone: row.timezone, capCount: row.capCount, capWindowSeconds: row.capWindowSeconds, updatedAt: row.updatedAt };
}
