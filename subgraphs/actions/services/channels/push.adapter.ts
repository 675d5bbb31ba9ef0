import type { ChannelAdapter, DeliveryResult, OutboundMessage } from '../../domain/channel';
import type { PushChannelConfig } from '../../domain/validate-channel';
import type { OutboundPolicy } from './safe-http';
import { providerPost } from './provider-post';

export interface PushAdapterOptions {
  config: PushChannelConfig;
  /** Bearer token of the push provider. */
  token: string;
  policy: OutboundPolicy;
}

/**
 * Sends a push notification through a provider-agnostic JSON API: a POST of
 * `{ to, title, body, data }` to the channel's URL with the secret as bearer token and the
 * message's idempotency key in `Idempotency-Key`. The provider id is the answer's `id` (or `name`,
 * as FCM names a sent message).
 */
export class PushAdapter implements ChannelAdapter {
  readonly kind = 'push' as const;

  constructor(private readonly opts: PushAdapterOptions) {}

  send(message: OutboundMessage, signal?: AbortSignal): Promise<DeliveryResult> {
    if (!message.to) return Promise.resolve({ ok: false, retryable: false, error: 'push: no device token' });
    const body = JSON.stringify({ to: message.to, title: message.subject ?? null, body: message.body ?? null, data: message.payload ?? {} });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${this.opts.token}`, 'idempotency-key': message.idempotencyKey };
    return providerPost(this.opts.config.url, headers, body, this.opts.policy, signal, (json) =>
      typeof json.id === 'string' ? json.id : typeof json.name === 'string' ? json.name : null,
    );
  }
}
