import type { ChannelAdapter, DeliveryResult, OutboundMessage } from '../../domain/channel';
import { outcomeOfStatus } from '../../domain/delivery-outcome';
import type { SmsChannelConfig } from '../../domain/validate-channel';
import { BlockedHostError, sendSafely, type OutboundPolicy } from './safe-http';

export interface SmsAdapterOptions {
  config: SmsChannelConfig;
  /** The provider's auth token (basic auth password; the account sid is the user). */
  authToken: string;
  policy: OutboundPolicy;
}

/**
 * Sends an SMS through a Twilio-shaped API: a form POST of `To`, `From`, `Body` to
 * `{baseUrl}/2010-04-01/Accounts/{accountSid}/Messages.json` with basic auth, and the message's
 * idempotency key in `I-Twilio-Idempotency-Token` and `Idempotency-Key` (providers that honour one
 * drop a retried send). The provider's message id is the answer's `sid`.
 */
export class SmsAdapter implements ChannelAdapter {
  readonly kind = 'sms' as const;

  constructor(private readonly opts: SmsAdapterOptions) {}

  async send(message: OutboundMessage, signal?: AbortSignal): Promise<DeliveryResult> {
    if (!message.to) return { ok: false, retryable: false, error: 'sms: no recipient number' };
    const { baseUrl, accountSid, from } = this.opts.config;
    const url = `${baseUrl}/2010-04-01/Accounts/${encodeURIComponent(accountSid)}/Messages.json`;
    const body = new URLSearchParams({ To: message.to, From: from, Body: message.body ?? '' }).toString();
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${accountSid}:${this.opts.authToken}`).toString('base64')}`,
      'i-twilio-idempotency-token': message.idempotencyKey,
      'idempotency-key': message.idempotencyKey,
    };
    return providerPost(url, headers, body, this.opts.policy, signal, (json) => (typeof json.sid === 'string' ? json.sid : null));
  }
}

/** One provider POST, its answer read as a `DeliveryResult` (the provider id picked from a JSON body). */
export async function providerPost(
  url: string,
  headers: Record<string, string>,
  body: string,
  policy: OutboundPolicy,
  signal: AbortSignal | undefined,
  idOf: (json: Record<string, unknown>) => string | null,
): Promise<DeliveryResult> {
  try {
    const answer = await sendSafely(url, { headers, body }, policy, signal);
    let providerId: string | null = null;
    try {
      const json = JSON.parse(answer.body) as unknown;
      if (json && typeof json === 'object') providerId = idOf(json as Record<string, unknown>);
    } catch {
      // a body that is not JSON carries no id
    }
    return outcomeOfStatus(answer.status, providerId, answer.status >= 300 ? answer.body : '');
  } catch (err) {
    if (err instanceof BlockedHostError) return { ok: false, retryable: false, error: err.message };
    return { ok: false, retryable: true, error: `network: ${(err as Error).message}` };
  }
}
