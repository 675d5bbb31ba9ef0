import type { EntityManager } from '../../common/orm';
import { parseLocalTime } from '../domain/local-time';
import type { ContactPolicy } from '../domain/contact-policy';
import { ContactPolicyRow } from './contact-policy.entity';

/** Contact policies of one tenant, one per channel. */
export class ContactPolicyRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  list(): Promise<ContactPolicyRow[]> {
    return this.em.find(ContactPolicyRow, { tenantId: this.tenantId }, { orderBy: { channel: 'asc' } });
  }

  byChannel(channel: string): Promise<ContactPolicyRow | null> {
    return this.em.findOne(ContactPolicyRow, { tenantId: this.tenantId, channel });
  }

  /** The policy of `channel` as the engine reads it, or null when the channel has none. One SELECT. */
  async policyOf(channel: string): Promise<ContactPolicy | null> {
    const row = await this.em.findOne(ContactPolicyRow, { tenantId: this.tenantId, channel }, { disableIdentityMap: true });
    return row ? contactPolicyOf(row) : null;
  }
}

/** A stored row as the engine reads it. */
export function contactPolicyOf(row: ContactPolicyRow): ContactPolicy {
  const start = row.quietStart ? parseLocalTime(row.quietStart) : null;
  const end = row.quietEnd ? parseLocalTime(row.quietEnd) : null;
  return {
    channel: row.channel,
    quietHours: start && end ? { start, end } : null,
    timezone: row.timezone,
    cap: row.capCount != null && row.capWindowSeconds != null ? { count: row.capCount, windowSeconds: row.capWindowSeconds } : null,
  };
}
