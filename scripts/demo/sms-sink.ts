import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { signCallback } from '../../subgraphs/actions/services/channels/callback-signature';

/** One SMS the sink accepted. */
export interface ReceivedSms {
  to: string;
  from: string;
  body: string;
  idempotencyKey: string | null;
}

/**
 * A local, Twilio-shaped SMS API (`POST /2010-04-01/Accounts/{sid}/Messages.json`, a form of
 * `To`, `From`, `Body`) for the demo's SMS channel. A retried send with the same idempotency key
 * is answered with the first message's sid and not kept twice, as Twilio does. Once told where
 * (`reportDeliveriesTo`), it reports every new message `delivered` on the channel's
 * delivery-status callback, signed with the channel's secret, as a provider would.
 */
export class SmsSink {
  readonly received: ReceivedSms[] = [];
  private readonly byKey = new Map<string, string>();
  private server: Server | null = null;
  private reportTo: { url: string; secret: string } | null = null;
  /** Delivery reports the platform accepted (202). */
  reported = 0;
  port = 0;

  /** From now on, reports each new message `delivered` to `url` (`…/v1/channels/:id/delivery-status`), signed with `secret`. */
  reportDeliveriesTo(url: string, secret: string): void {
    this.reportTo = { url, secret };
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.method !== 'POST' || !/^\/2010-04-01\/Accounts\/[^/]+\/Messages\.json$/.test(req.url ?? '')) {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not found"}');
          return;
        }
        const form = new URLSearchParams(body);
        const key = (req.headers['i-twilio-idempotency-token'] as string | undefined) ?? null;
        let sid = key ? this.byKey.get(key) : undefined;
        if (!sid) {
          sid = `SM${String(this.received.length + 1).padStart(32, '0')}`;
          if (key) this.byKey.set(key, sid);
          this.received.push({ to: form.get('To') ?? '', from: form.get('From') ?? '', body: form.get('Body') ?? '', idempotencyKey: key });
          if (this.reportTo) void this.report(this.reportTo, sid);
        }
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ sid, status: 'queued' }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /**
   * Reports one message delivered, after the send's answer: a 404 (the platform has not stored the
   * message id yet) or a 5xx is tried again a few times a second apart, as providers retry.
   */
  private async report(to: { url: string; secret: string }, sid: string): Promise<void> {
    const body = JSON.stringify({ messageId: sid, status: 'delivered' });
    for (let attempt = 0; attempt < 5 && this.server; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      try {
        const res = await fetch(to.url, { method: 'POST', headers: { 'content-type': 'application/json', ...signCallback(to.secret, `dlr-${sid}`, body, new Date()) }, body });
        if (res.status === 202) return void this.reported++;
        if (res.status !== 404 && res.status < 500) return;
      } catch {
        // the platform is stopping or restarting: tried again
      }
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
