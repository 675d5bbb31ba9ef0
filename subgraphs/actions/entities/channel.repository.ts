import type { EntityManager, Orm } from '../../common/orm';
import { forkAcrossTenants } from '../../common/tenant-filter';
import type { WebhookEventType, WebhookChannelConfig } from '../domain/validate-channel';
import { Channel } from './channel.entity';

/** Channel reads of one tenant. */
export class ChannelRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  list(): Promise<Channel[]> {
    return this.em.find(Channel, { tenantId: this.tenantId }, { orderBy: { name: 'asc' } });
  }

  byId(id: string): Promise<Channel | null> {
    return this.em.findOne(Channel, { tenantId: this.tenantId, id });
  }

  byName(name: string): Promise<Channel | null> {
    return this.em.findOne(Channel, { tenantId: this.tenantId, name });
  }

  /** The enabled webhook channels subscribed to `eventType`: one SELECT, the subscription checked in memory (JSON columns differ per database). */
  async subscribedTo(eventType: WebhookEventType): Promise<Channel[]> {
    const rows = await this.em.find(Channel, { tenantId: this.tenantId, kind: 'webhook', enabled: true }, { orderBy: { id: 'asc' } });
    return rows.filter((c) => (c.config as WebhookChannelConfig).subscribe?.includes(eventType));
  }
}

/**
 * The channel with this id in whichever tenant has it: a provider's delivery-status callback names
 * only the channel (its URL is per channel), and the channel's own secret then proves the caller.
 * The one read of channels across tenants.
 */
export function channelAcrossTenants(orm: Orm, id: string): Promise<Channel | null> {
  return forkAcrossTenants(orm).findOne(Channel, { id }, { disableIdentityMap: true });
}
