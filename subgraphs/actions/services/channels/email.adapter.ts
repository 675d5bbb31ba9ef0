import { createTransport, type Transporter } from 'nodemailer';

import type { ChannelAdapter, DeliveryResult, OutboundMessage } from '../../domain/channel';
import type { EmailChannelConfig } from '../../domain/validate-channel';
import type { TrackedParts } from './email-tracker';

export interface EmailAdapterOptions {
  config: EmailChannelConfig;
  /** SMTP password; null without authentication. */
  password: string | null;
  timeoutMs: number;
  /** The HTML and text parts with open and click tracking added (see `emailTracker`); absent: sent as rendered. */
  track?: (message: OutboundMessage) => TrackedParts;
}

/** SMTP reply codes of a temporary failure (RFC 5321 §4.2.1: 4yz), and errors without a reply (network). */
function isTemporary(err: { responseCode?: number; code?: string }): boolean {
  if (typeof err.responseCode === 'number') return err.responseCode >= 400 && err.responseCode < 500;
  return true;
}

/**
 * Sends email over SMTP with nodemailer. The message's idempotency key becomes the Message-ID's
 * local part, so a retried send carries the same Message-ID and mail systems can drop the copy.
 * A 5xx reply (bad address, refused sender) is final; a 4xx reply or a network error is retried.
 */
export class EmailAdapter implements ChannelAdapter {
  readonly kind = 'email' as const;
  private readonly transport: Transporter;

  constructor(private readonly opts: EmailAdapterOptions) {
    const { host, port, secure, username } = opts.config;
    this.transport = createTransport({
      host,
      port,
      secure,
      auth: username ? { user: username, pass: opts.password ?? '' } : undefined,
      connectionTimeout: opts.timeoutMs,
      greetingTimeout: opts.timeoutMs,
      socketTimeout: opts.timeoutMs,
    });
  }

  async send(message: OutboundMessage, signal?: AbortSignal): Promise<DeliveryResult> {
    if (!message.to) return { ok: false, retryable: false, error: 'email: no recipient address' };
    if (signal?.aborted) return { ok: false, retryable: true, error: 'email: aborted before sending' };
    const domain = this.opts.config.from.replace(/^.*<(.+)>\s*$/, '$1').split('@')[1] ?? 'foresight.local';
    const parts = this.opts.track ? this.opts.track(message) : { html: message.html, text: message.body };
    try {
      const info = await this.transport.sendMail({
        from: this.opts.config.from,
        to: message.to,
        subject: message.subject ?? '',
        text: parts.text,
        html: parts.html,
        messageId: `<${message.idempotencyKey.replace(/[^A-Za-z0-9._-]/g, '-')}@${domain}>`,
      });
      return { ok: true, providerId: info.messageId ?? null };
    } catch (err) {
      const e = err as Error & { responseCode?: number; code?: string };
      return { ok: false, retryable: isTemporary(e), error: `smtp: ${e.message}`, ...(e.responseCode ? { status: e.responseCode } : {}) };
    } finally {
      this.transport.close();
    }
  }
}
