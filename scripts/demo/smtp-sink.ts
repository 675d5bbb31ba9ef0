import type { AddressInfo } from 'node:net';

import { SMTPServer } from 'smtp-server';

/** One message the sink accepted. */
export interface ReceivedMail {
  to: string[];
  from: string;
  size: number;
  receivedAt: Date;
}

/**
 * A local SMTP server that accepts every message for the demo's email channel and keeps its
 * envelope (no TLS, no authentication, bodies discarded): the demo learns from it who the
 * playbook's email reached.
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  private server: SMTPServer | null = null;
  port = 0;

  async start(): Promise<void> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, session, callback) => {
        let size = 0;
        stream.on('data', (chunk: Buffer) => (size += chunk.length));
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          this.received.push({ to, from, size, receivedAt: new Date() });
          callback();
        });
      },
    });
    server.on('error', () => undefined); // a client that drops the connection is not our concern
    await new Promise<void>((resolve, reject) => {
      server.listen(0, '127.0.0.1', () => resolve());
      server.server.once('error', reject);
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Every recipient address so far, in arrival order (one per message and recipient). */
  recipients(): string[] {
    return this.received.flatMap((m) => m.to);
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
