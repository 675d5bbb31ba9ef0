import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { SmsSink } from '../../../scripts/demo/sms-sink';
import { verifyCallback } from '../../../subgraphs/actions/services/channels/callback-signature';
import { waitFor } from '../../fixtures/wait-for';

/** The demo's SMS sink playing the provider's side of the delivery-status callback. */
describe('SmsSink', () => {
  const sink = new SmsSink();
  let platform: Server;
  const reports: { valid: boolean; body: unknown }[] = [];
  let answered = 0;

  beforeAll(async () => {
    await sink.start();
    // stands in for the platform: checks the signature; the first report is a 404, as when the
    // send's provider id is not stored yet, so the sink must try again
    platform = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const valid = verifyCallback(req.headers as Record<string, string>, body, ['demo-sms-token'], new Date());
        reports.push({ valid, body: JSON.parse(body) });
        res.writeHead(answered++ === 0 ? 404 : 202).end('{}');
      });
    });
    await new Promise<void>((resolve) => platform.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await sink.stop();
    await new Promise((resolve) => platform.close(resolve));
  });

  it('reports each new message delivered, signed with the channel secret, until the platform takes it', async () => {
    sink.reportDeliveriesTo(`http://127.0.0.1:${(platform.address() as AddressInfo).port}/v1/channels/c/delivery-status`, 'demo-sms-token');
    const send = () =>
      fetch(`${sink.baseUrl}/2010-04-01/Accounts/ACdemo/Messages.json`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'i-twilio-idempotency-token': 'run:1:step:sms:1' },
        body: new URLSearchParams({ To: '+447700900123', From: 'DemoBank', Body: 'Hi' }).toString(),
      });
    const { sid } = (await (await send()).json()) as { sid: string };
    // a retried send is the same message: reported once
    await send();
    await waitFor(() => sink.reported === 1, 15_000);
    expect(reports).toEqual([
      { valid: true, body: { messageId: sid, status: 'delivered' } },
      { valid: true, body: { messageId: sid, status: 'delivered' } },
    ]);
  });
});
