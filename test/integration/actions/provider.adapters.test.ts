import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { SMTPServer } from 'smtp-server';

import type { OutboundMessage } from '../../../subgraphs/actions/domain/channel';
import { EmailAdapter } from '../../../subgraphs/actions/services/channels/email.adapter';
import { PushAdapter } from '../../../subgraphs/actions/services/channels/push.adapter';
import { SmsAdapter } from '../../../subgraphs/actions/services/channels/sms.adapter';

const message = (over: Partial<OutboundMessage> = {}): OutboundMessage => ({
  idempotencyKey: 'run-r1-step-s1',
  tenantId: 't1',
  profileId: 'p1',
  to: 'ada@example.com',
  subject: 'A personal offer',
  body: 'Hello Ada, 20% off.',
  html: '<p>Hello Ada, <b>20%</b> off.</p>',
  ...over,
});

describe('EmailAdapter', () => {
  let smtp: SMTPServer;
  let port: number;
  const mails: { from: string; to: string[]; raw: string; user?: string }[] = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onAuth(auth, _session, callback) {
        if (auth.username === 'mailer' && auth.password === 'pw') return callback(null, { user: auth.username });
        callback(new Error('bad credentials'));
      },
      onRcptTo(address, _session, callback) {
        if (address.address.endsWith('@bounce.example.com')) return callback(Object.assign(new Error('no such user'), { responseCode: 550 }));
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8'), user: session.user as string | undefined });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    port = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

  const adapter = (username: string | null = 'mailer') =>
    new EmailAdapter({ config: { host: '127.0.0.1', port, secure: false, username, from: 'Foresight <cx@shop.example.com>', tracking: false }, password: 'pw', timeoutMs: 5_000 });

  it('delivers subject, text, html and recipient to the SMTP server, authenticated', async () => {
    const result = await adapter().send(message());
    expect(result).toMatchObject({ ok: true, providerId: '<run-r1-step-s1@shop.example.com>' });
    const mail = mails.at(-1)!;
    expect(mail.to).toEqual(['ada@example.com']);
    expect(mail.from).toBe('cx@shop.example.com');
    expect(mail.user).toBe('mailer');
    expect(mail.raw).toContain('Subject: A personal offer');
    expect(mail.raw).toContain('Hello Ada, 20% off.');
    expect(mail.raw).toMatch(/<p>Hello Ada, <b>20(%|=25)<\/b> off.<\/p>/);
    expect(mail.raw).toContain('Message-ID: <run-r1-step-s1@shop.example.com>');
  });

  it('answers a refused recipient as final and a missing address as final', async () => {
    expect(await adapter().send(message({ to: 'gone@bounce.example.com' }))).toMatchObject({ ok: false, retryable: false, status: 550 });
    expect(await adapter().send(message({ to: null }))).toMatchObject({ ok: false, retryable: false });
  });

  it('answers an unreachable server as retryable', async () => {
    const down = new EmailAdapter({ config: { host: '127.0.0.1', port: 1, secure: false, username: null, from: 'cx@shop.example.com', tracking: false }, password: null, timeoutMs: 2_000 });
    expect(await down.send(message())).toMatchObject({ ok: false, retryable: true });
  });
});

describe('SmsAdapter and PushAdapter', () => {
  let server: Server;
  let base: string;
  const requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let nextStatus = 201;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = nextStatus;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(req.url?.includes('/Messages.json') ? { sid: 'SM123' } : { id: 'push-9' }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const policy = { allowedHosts: ['127.0.0.1'], timeoutMs: 5_000 };

  it('sends a Twilio-shaped form POST with basic auth and an idempotency header', async () => {
    nextStatus = 201;
    const sms = new SmsAdapter({ config: { baseUrl: base, accountSid: 'AC42', from: '+15550001', allowedHosts: [] }, authToken: 'tok', policy });
    const result = await sms.send(message({ to: '+15559999' }));
    expect(result).toEqual({ ok: true, providerId: 'SM123', status: 201 });
    const req = requests.at(-1)!;
    expect(req).toMatchObject({ method: 'POST', url: '/2010-04-01/Accounts/AC42/Messages.json' });
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from('AC42:tok').toString('base64')}`);
    expect(req.headers['i-twilio-idempotency-token']).toBe('run-r1-step-s1');
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({ To: '+15559999', From: '+15550001', Body: 'Hello Ada, 20% off.' });
  });

  it('asks the provider to report each message’s status to the channel’s delivery-status callback', async () => {
    nextStatus = 201;
    const callback = 'https://cx.example.com/v1/channels/01a21227-0000-7000-8000-0000000000aa/delivery-status';
    const sms = new SmsAdapter({ config: { baseUrl: base, accountSid: 'AC42', from: '+15550001', allowedHosts: [] }, authToken: 'tok', policy, statusCallbackUrl: callback });
    expect(await sms.send(message({ to: '+15559999' }))).toMatchObject({ ok: true, providerId: 'SM123' });
    expect(Object.fromEntries(new URLSearchParams(requests.at(-1)!.body))).toEqual({ To: '+15559999', From: '+15550001', Body: 'Hello Ada, 20% off.', StatusCallback: callback });
  });

  it('classifies provider refusals and outages', async () => {
    const sms = new SmsAdapter({ config: { baseUrl: base, accountSid: 'AC42', from: '+1', allowedHosts: [] }, authToken: 'tok', policy });
    nextStatus = 400;
    expect(await sms.send(message({ to: '+1' }))).toMatchObject({ ok: false, retryable: false, status: 400 });
    nextStatus = 503;
    expect(await sms.send(message({ to: '+1' }))).toMatchObject({ ok: false, retryable: true, status: 503 });
    const guarded = new SmsAdapter({ config: { baseUrl: base, accountSid: 'AC42', from: '+1', allowedHosts: [] }, authToken: 'tok', policy: { allowedHosts: [], timeoutMs: 1_000 } });
    expect(await guarded.send(message({ to: '+1' }))).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('refused') });
  });

  it('sends a push as JSON with a bearer token', async () => {
    nextStatus = 200;
    const push = new PushAdapter({ config: { url: `${base}/push`, allowedHosts: [] }, token: 'bearer-1', policy });
    const result = await push.send(message({ to: 'device-token-1', payload: { offer: 'X' } }));
    expect(result).toEqual({ ok: true, providerId: 'push-9', status: 200 });
    const req = requests.at(-1)!;
    expect(req.headers.authorization).toBe('Bearer bearer-1');
    expect(req.headers['idempotency-key']).toBe('run-r1-step-s1');
    expect(JSON.parse(req.body)).toEqual({ to: 'device-token-1', title: 'A personal offer', body: 'Hello Ada, 20% off.', data: { offer: 'X' } });
  });
});
