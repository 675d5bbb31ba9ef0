import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { uuidv7 } from 'uuidv7';

import { actionsSubgraph } from '../../../subgraphs/actions';
import { Channel } from '../../../subgraphs/actions/entities/channel.entity';
import { WebhookDelivery } from '../../../subgraphs/actions/entities/webhook-delivery.entity';
import { RaiseAlertsService } from '../../../subgraphs/actions/services/raise-alerts.service';
import { raiseAlerts } from '../../../subgraphs/actions/workers/raise-alerts.worker';
import { sweepDeliveries } from '../../../subgraphs/actions/workers/sweep-deliveries.worker';
import { CONTEXT_HEADER, signContext } from '../../../subgraphs/common/auth-context';
import { DELIVER_WEBHOOK } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants, forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { gql } from '../../fixtures/stack';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const SECRET = `whsec_${Buffer.alloc(32, 5).toString('base64')}`;
const DISABLE_AFTER = 5;

/** The spec's signature computed independently with node:crypto. */
function signatureOf(id: string, timestamp: string, body: string): string {
  return `v1,${createHmac('sha256', Buffer.from(SECRET.slice(6), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

interface Hit {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('alerts delivered to webhooks', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;
  let server: Server;
  let base: string;
  const hits: Hit[] = [];
  /** Statuses each path answers next, in order; 204 once its list is empty. */
  const script: Record<string, number[]> = {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hits.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = script[req.url ?? '']?.shift() ?? 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // short retries (two of them: three tries in all) instead of the 5 s … 10 h schedule
    env = await createTestEnv({ WEBHOOK_RETRY_SCHEDULE_MS: '30,60', WEBHOOK_ALLOWED_HOSTS: '127.0.0.1', WEBHOOK_DISABLE_AFTER_FAILURES: String(DISABLE_AFTER), SWEEP_GRACE_MS: '1000' });
    actions = await runSubgraph(actionsSubgraph, env.config, { port: 0 });
  });
  afterAll(async () => {
    await actions?.close();
    await env?.cleanup();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const call = (tenantId: string, query: string, variables: Record<string, unknown> = {}) =>
    gql(actions.url, query, variables, { [CONTEXT_HEADER]: signContext({ tenantId, keyId: 'k', scopes: ['admin'] }, env.config.secret, 'actions', 60) });
  const createWebhook = async (tenantId: string, name: string, path: string, subscribe = ['alert.raised']): Promise<string> => {
    const res = await call(tenantId, `mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }`, {
      input: { name, kind: 'WEBHOOK', config: { url: `${base}${path}`, subscribe }, secret: SECRET },
    });
    expect(res.errors).toBeUndefined();
    return res.data!.createChannel.id as string;
  };
  const raise = (tenantId: string, scoreId = uuidv7(), profileId = uuidv7()) =>
    raiseAlerts({ id: `job-${scoreId}`, data: { tenantId, profileId, scoreId, score: 82, bucket: 'high', previousBucket: 'medium' } }, actions.deps);
  const deliveriesOf = (tenantId: string) => forkAcrossTenants(actions.deps.orm).find(WebhookDelivery, { tenantId }, { orderBy: { id: 'asc' } });
  const channelRow = (id: string) => forkAcrossTenants(actions.deps.orm).findOneOrFail(Channel, { id });
  const hitsOf = (path: string) => hits.filter((h) => h.path === path);

  it('delivers a raised alert to each subscribed webhook, retrying after a 500 with the same webhook-id', async () => {
    const subscribed = await createWebhook('w1', 'ops', '/w1');
    await createWebhook('w1', 'quiet', '/w1-quiet', []);
    const off = await createWebhook('w1', 'off', '/w1-off');
    await call('w1', `mutation($id: ID!) { disableChannel(id: $id) { id } }`, { id: off });
    await createWebhook('w1-other', 'ops', '/w1-other');
    script['/w1'] = [500];

    const { raised } = await raise('w1');
    expect(raised).toHaveLength(1);
    await waitFor(async () => (await deliveriesOf('w1'))[0]?.status === 'delivered');
    const [row] = await deliveriesOf('w1');
    expect(row).toMatchObject({ channelId: subscribed, attempts: 2, lastStatus: 204, idempotencyKey: `alert-${raised[0].id}-${subscribed}` });
    const tries = hitsOf('/w1');
    expect(tries.map((t) => t.headers['webhook-id'])).toEqual([row.idempotencyKey, row.idempotencyKey]);
    for (const t of tries) expect(t.headers['webhook-signature']).toBe(signatureOf(row.idempotencyKey, String(t.headers['webhook-timestamp']), t.body));
    expect(JSON.parse(tries[1].body)).toMatchObject({ type: 'alert.raised', data: { alertId: raised[0].id, profileId: raised[0].profileId, severity: 'high' } });
    // nothing for the unsubscribed, the disabled, or another tenant's channel
    expect(await deliveriesOf('w1')).toHaveLength(1);
    expect(hitsOf('/w1-quiet').length + hitsOf('/w1-off').length + hitsOf('/w1-other').length).toBe(0);
    expect(await deliveriesOf('w1-other')).toHaveLength(0);
    expect((await channelRow(subscribed)).consecutiveFailures).toBe(0);

    // a replay of the same job raises and delivers nothing new
    await raiseAlerts({ id: 'again', data: { tenantId: 'w1', profileId: raised[0].profileId, scoreId: raised[0].scoreId!, score: 82, bucket: 'high', previousBucket: 'medium' } }, actions.deps);
    expect(await deliveriesOf('w1')).toHaveLength(1);
  });

  it('dead-letters after the last try, lists it, and delivers it on replay', async () => {
    await createWebhook('w2', 'ops', '/w2');
    script['/w2'] = [500, 503, 502];
    await raise('w2');
    await waitFor(async () => (await deliveriesOf('w2'))[0]?.status === 'dead');
    expect(hitsOf('/w2')).toHaveLength(3);
    const [dead] = await deliveriesOf('w2');
    expect(dead).toMatchObject({ attempts: 3, lastStatus: 502, seq: 3 });

    const listed = await call('w2', `{ webhookDeliveries(status: DEAD) { id status attempts lastStatus lastError webhookId } }`);
    expect(listed.data!.webhookDeliveries).toEqual([{ id: dead.id, status: 'DEAD', attempts: 3, lastStatus: 502, lastError: 'HTTP 502', webhookId: dead.idempotencyKey }]);
    expect((await call('w3', `{ webhookDeliveries { id } }`)).data!.webhookDeliveries).toEqual([]);

    const replay = await call('w2', `mutation($id: ID!) { replayDelivery(id: $id) { status attempts } }`, { id: dead.id });
    expect(replay.data!.replayDelivery).toEqual({ status: 'PENDING', attempts: 0 });
    await waitFor(async () => (await deliveriesOf('w2'))[0]?.status === 'delivered');
    expect(hitsOf('/w2')).toHaveLength(4);
    expect(hitsOf('/w2')[3].headers['webhook-id']).toBe(dead.idempotencyKey);

    const twice = await call('w2', `mutation($id: ID!) { replayDelivery(id: $id) { status } }`, { id: dead.id });
    expect(twice.errors?.[0].extensions?.code).toBe('CONFLICT');
    const other = await call('w3', `mutation($id: ID!) { replayDelivery(id: $id) { status } }`, { id: dead.id });
    expect(other.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('disables the channel on 410 Gone and after repeated failures', async () => {
    const gone = await createWebhook('w4', 'gone', '/w4');
    script['/w4'] = [410];
    await raise('w4');
    await waitFor(async () => (await deliveriesOf('w4'))[0]?.status === 'dead');
    expect(await channelRow(gone)).toMatchObject({ enabled: false, disabledReason: expect.stringContaining('410') });

    const flaky = await createWebhook('w5', 'flaky', '/w5');
    script['/w5'] = Array(6).fill(500);
    await raise('w5');
    await raise('w5');
    await waitFor(async () => (await channelRow(flaky)).enabled === false);
    expect((await channelRow(flaky)).disabledReason).toBe(`${DISABLE_AFTER} failed tries in a row`);
    await waitFor(async () => (await deliveriesOf('w5')).every((d) => d.status === 'dead'));
    // two deliveries try side by side: a try already under way when the limit is reached still lands
    expect(hitsOf('/w5').length).toBeGreaterThanOrEqual(DISABLE_AFTER);
    expect(hitsOf('/w5').length).toBeLessThanOrEqual(6);
  });

  it('re-queues from SQL a delivery whose job was lost, once it is overdue', async () => {
    await createWebhook('w6', 'ops', '/w6');
    // the alerts and outbox rows committed, the process gone before queueing (or Redis flushed)
    const tenantId = 'w6';
    const { deliveries } = await new RaiseAlertsService(forkForTenant(actions.deps.orm, tenantId), tenantId).raise([
      { profileId: uuidv7(), scoreId: uuidv7(), kind: 'churn', score: 85, previousScore: 60, bucket: 'high', previousBucket: 'medium', clv: null, revenueAtRisk: null, reasons: [], segmentIds: [] },
    ]);
    expect(deliveries).toHaveLength(1);
    expect(await actions.deps.queues.get(DELIVER_WEBHOOK).getJob(`${deliveries[0].id}-0`)).toBeUndefined();
    // within the grace period the sweeper leaves it alone
    expect(await sweepDeliveries(actions.deps, new Date())).toBe(0);
    expect(await sweepDeliveries(actions.deps, new Date(Date.now() + 5_000))).toBe(1);
    await waitFor(async () => (await deliveriesOf('w6'))[0]?.status === 'delivered');
    expect(hitsOf('/w6')).toHaveLength(1);
  });
});
