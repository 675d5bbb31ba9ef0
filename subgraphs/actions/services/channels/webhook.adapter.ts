import { Webhook } from 'standardwebhooks';

import type { ChannelAdapter, DeliveryResult, OutboundMessage } from '../../domain/channel';
import { outcomeOfStatus } from '../../domain/delivery-outcome';
import { BlockedHostError, sendSafely, type OutboundPolicy } from './safe-http';

export interface WebhookAdapterOptions {
  url: string;
  /** Plain `whsec_…` secrets in use: one during normal operation, two while a rotation overlaps. */
  secrets: readonly string[];
  policy: OutboundPolicy;
  now?: () => Date;
}

/**
 * Delivers a message as a JSON POST signed per the Standard Webhooks spec: `webhook-id` is the
 * message's idempotency key (stable across retries, so the receiver deduplicates),
 * `webhook-timestamp` the send time in seconds, and `webhook-signature` one `v1,<base64>` per
 * active secret, space-separated (the receiver accepts any of them while a rotation overlaps).
 * The body is `{ type, timestamp, data }`.
 */
export class WebhookAdapter implements ChannelAdapter {
  readonly kind = 'webhook' as const;
  private readonly signers: Webhook[];

  constructor(private readonly opts: WebhookAdapterOptions) {
    if (opts.secrets.length === 0) throw new RangeError('WebhookAdapter: at least one secret is required');
    this.signers = opts.secrets.map((s) => new Webhook(s));
  }

  async send(message: OutboundMessage, signal?: AbortSignal): Promise<DeliveryResult> {
    const sentAt = (this.opts.now ?? (() => new Date()))();
    const body = JSON.stringify({ type: message.type ?? 'message', timestamp: sentAt.toISOString(), data: message.payload ?? {} });
    const headers = {
      'content-type': 'application/json',
      'user-agent': 'Foresight-Webhooks/1',
      'webhook-id': message.idempotencyKey,
      'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
      'webhook-signature': this.signers.map((s) => s.sign(message.idempotencyKey, sentAt, body)).join(' '),
    };
    try {
      const answer = await sendSafely(this.opts.url, { headers, body }, this.opts.policy, signal);
      return outcomeOfStatus(answer.status, null, answer.status >= 300 ? answer.body : '');
    } catch (err) {
      // a refused host stays refused; a network error or a timeout may pass next time
      if (err instanceof BlockedHostError) return { ok: false, retryable: false, error: err.message };
      return { ok: false, retryable: true, error: `network: ${(err as Error).message}` };
    }
  }
}
