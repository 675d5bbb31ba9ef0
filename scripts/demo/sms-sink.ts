import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

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
 * is answered with the first message's sid and not kept twice, as Twilio does.
 */
export class SmsSink {
  readonly received: ReceivedSms[] = [];
  private readonly byKey = new Map<string, string>();
  private server: Server | null = null;
  port = 0;

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

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
