/**
 * The one interface every outbound channel (email, SMS, push, webhook) implements, so the action
 * queue sends through a channel without knowing its provider. Adapters live in
 * `services/channels/`; a tenant's configured channels are found through a `ChannelResolver`.
 */

export type ChannelKind = 'email' | 'sms' | 'push' | 'webhook';
export const CHANNEL_KINDS: readonly ChannelKind[] = ['email', 'sms', 'push', 'webhook'];

/** One message, already rendered (templates filled and escaped), for one recipient. */
export interface OutboundMessage {
  /**
   * Stable for one logical send (e.g. `run:<runId>:step:<stepId>` or `alert:<alertId>:<endpointId>`):
   * a retried send carries the same key, and providers that support one get it as their
   * idempotency key (webhooks: the `webhook-id` header), so a retry never delivers twice.
   */
  idempotencyKey: string;
  tenantId: string;
  profileId: string;
  /** Address on the channel: an email address, a phone number, a device token. Webhooks use the channel's URL. */
  to: string | null;
  /** Email subject, push title. */
  subject?: string;
  /** Text body (email text part, SMS text, push body). */
  body?: string;
  /** Email HTML part. */
  html?: string;
  /** Structured payload: the JSON body of a webhook, extra data of a push. */
  payload?: Record<string, unknown>;
  /** Event type of a webhook (`alert.raised`, `playbook.step`, …). */
  type?: string;
  /** The playbook send this message is (absent for alert webhooks): what email open and click tracking reports. */
  origin?: { runId: string; stepId: string; deliveryId: string };
}

/** What a provider answered. */
export type DeliveryResult =
  | { ok: true; providerId: string | null; status?: number }
  | {
      ok: false;
      /** Worth another try later (timeout, 5xx, 429, connection refused); false: never will be (4xx, bad address). */
      retryable: boolean;
      /** The endpoint asked never to be called again (a webhook's 410 Gone): the channel should be disabled. */
      disable?: boolean;
      error: string;
      status?: number;
    };

export interface ChannelAdapter {
  readonly kind: ChannelKind;
  /** Sends once. Never throws for a provider's refusal or a network error: it answers with a `DeliveryResult`. */
  send(message: OutboundMessage, signal?: AbortSignal): Promise<DeliveryResult>;
}

/** A tenant's channels by name, as configured (and enabled). */
export interface ChannelResolver {
  /** The adapter of the tenant's channel `name`, or null when there is none or it is disabled. */
  resolve(tenantId: string, name: string): Promise<ChannelAdapter | null>;
}
