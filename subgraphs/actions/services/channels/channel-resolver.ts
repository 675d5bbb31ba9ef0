import type { Config } from '../../../common/config';
import type { Orm } from '../../../common/orm';
import { forkForTenant } from '../../../common/tenant-filter';
import type { ChannelAdapter, ChannelResolver } from '../../domain/channel';
import type { EmailChannelConfig, PushChannelConfig, SmsChannelConfig, WebhookChannelConfig } from '../../domain/validate-channel';
import type { Channel, StoredSecret } from '../../entities/channel.entity';
import { ChannelRepository } from '../../entities/channel.repository';
import { EmailAdapter } from './email.adapter';
import { emailTracker } from './email-tracker';
import { PushAdapter } from './push.adapter';
import type { OutboundPolicy } from './safe-http';
import { SecretBox } from './secret-box';
import { deliveryStatusUrl } from '../delivery-status-url';
import { SmsAdapter } from './sms.adapter';
import { WebhookAdapter } from './webhook.adapter';

/** The secrets still in use at `now`, newest first (a rotated-out one until its overlap ends). */
export function activeSecrets(secrets: readonly StoredSecret[], now: Date): StoredSecret[] {
  return secrets.filter((s) => s.expiresAt === null || new Date(s.expiresAt) > now).reverse();
}

/**
 * Builds adapters from stored channels: opens their secrets and applies the platform's outbound
 * policy (the env allow-list plus the channel's own). Used by the action queue (by name) and by
 * the webhook delivery worker (by row).
 */
export class ChannelAdapters {
  private readonly box: SecretBox;

  constructor(
    private readonly config: Pick<Config, 'secret' | 'channels' | 'publicUrl'>,
    private readonly now: () => Date = () => new Date(),
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.box = new SecretBox(config.secret, env);
  }

  /** The adapter of a channel row. Throws when a secret cannot be opened (a missing env variable). */
  adapterOf(channel: Channel): ChannelAdapter {
    const secrets = activeSecrets(channel.secrets, this.now()).map((s) => this.box.open(s.value, channel.tenantId, channel.id));
    const policy = (own: readonly string[] = []): OutboundPolicy => ({
      allowedHosts: [...this.config.channels.allowedHosts, ...own],
      timeoutMs: this.config.channels.timeoutMs,
    });
    switch (channel.kind) {
      case 'webhook': {
        const config = channel.config as WebhookChannelConfig;
        return new WebhookAdapter({ url: config.url, secrets, policy: policy(config.allowedHosts), now: this.now });
      }
      case 'email': {
        const config = channel.config as EmailChannelConfig;
        const track = config.tracking ? emailTracker(this.config, this.now) : undefined;
        return new EmailAdapter({ config, password: secrets[0] ?? null, timeoutMs: this.config.channels.timeoutMs, track });
      }
      case 'sms': {
        const config = channel.config as SmsChannelConfig;
        return new SmsAdapter({ config, authToken: secrets[0] ?? '', policy: policy(config.allowedHosts), statusCallbackUrl: deliveryStatusUrl(this.config.publicUrl, channel.id) });
      }
      case 'push': {
        const config = channel.config as PushChannelConfig;
        return new PushAdapter({ config, token: secrets[0] ?? '', policy: policy(config.allowedHosts) });
      }
    }
  }
}

/** `ChannelResolver` over the channels table: a tenant's enabled channel by name. */
export class StoredChannelResolver implements ChannelResolver {
  private readonly adapters: ChannelAdapters;

  constructor(
    private readonly orm: Orm,
    config: Pick<Config, 'secret' | 'channels' | 'publicUrl'>,
    now?: () => Date,
  ) {
    this.adapters = new ChannelAdapters(config, now);
  }

  async resolve(tenantId: string, name: string): Promise<ChannelAdapter | null> {
    const channel = await new ChannelRepository(forkForTenant(this.orm, tenantId), tenantId).byName(name);
    if (!channel || !channel.enabled) return null;
    return this.adapters.adapterOf(channel);
  }
}
