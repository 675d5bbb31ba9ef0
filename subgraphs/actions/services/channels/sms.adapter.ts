import type { ChannelAdapter, DeliveryResult, OutboundMessage } from '../../domain/channel';
import type { SmsChannelConfig } from '../../domain/validate-channel';
import { providerPost } from './provider-post';
import type { OutboundPolicy } from './safe-http';

export interface SmsAdapterOptions {
  config: SmsChannelConfig;
  /** The provider's auth token (basic auth password; the account sid is the user). */
  authToken: string;
  policy: OutboundPolicy;
  /**
   * Where the provider reports what became of each message (`StatusCallback`): the channel's
   * delivery-status callback under `PUBLIC_URL`, which reads Twilio's signed form posts.
   */
  statusCallbackUrl?: string;
}

/**
 * Sends an SMS through a Twilio-shaped API: a form POST of `To`, `From`, `Body` to
 * `{baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json` with basic auth, and the message's
 * idempotency key in `I-Twilio-Idempotency-Token` and `Idempotency-Key` (providers that honour one
 * drop a retried send), and `StatusCallback`: the channel's delivery-status callback, which Twilio
 * calls with each status, signed with the auth token. The provider's message id is the answer's `sid`.
 */
export class SmsAdapter implements ChannelAdapter {
  readonly kind = 'sms' as const;

  constructor(private readonly opts: SmsAdapterOptions) {}

  async send(message: OutboundMessage, signal?: AbortSignal): Promise<DeliveryResult> {
    if (!message.to) return { ok: false, retryable: false, error: 'sms: no recipient number' };
    const { baseUrl, accountSid, from } = this.opts.config;
    const url = `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
    const form: Record<string, string> = { To: message.to, From: from, Body: message.body ?? '' };
    if (this.opts.statusCallbackUrl) form.StatusCallback = this.opts.statusCallbackUrl;
    const body = new URLSearchParams(form).toString();
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${accountSid}:${this.opts.authToken}`).toString('base64')}`,
      'i-twilio-idempotency-token': message.idempotencyKey,
      'idempotency-key': message.idempotencyKey,
    };
    return providerPost(url, headers, body, this.opts.policy, signal, (json) => (typeof json.sid === 'string' ? json.sid : null));
  }
}
