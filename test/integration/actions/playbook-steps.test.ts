import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createActionsSubgraph } from '../../../subgraphs/actions';
import { PlaybookRun } from '../../../subgraphs/actions/entities/playbook-run.entity';
import { StepDelivery } from '../../../subgraphs/actions/entities/step-delivery.entity';
import { ChannelService } from '../../../subgraphs/actions/services/channel.service';
import { StoredChannelResolver } from '../../../subgraphs/actions/services/channels/channel-resolver';
import { SecretBox } from '../../../subgraphs/actions/services/channels/secret-box';
import type { PlaybookCollaborators } from '../../../subgraphs/actions/services/playbook-collaborators';
import { PlaybookRunService } from '../../../subgraphs/actions/services/playbook-runs.service';
import { runPlaybookStep } from '../../../subgraphs/actions/workers/playbook-step.worker';
import { PLAYBOOK_STEP, SET_COMPUTED_TRAITS } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';
import { createTreatingEveryone } from '../../fixtures/treat-everyone';

const SECRET = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const profile = (n: number) => `01a21226-0000-7000-8000-${String(n).padStart(12, '0')}`;

/** The Standard Webhooks signature computed independently with node:crypto. */
function signatureOf(id: string, timestamp: string, body: string): string {
  return `v1,${createHmac('sha256', Buffer.from(SECRET.slice(6), 'base64')).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

describe('webhook and updateTraits steps', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;
  let server: Server;
  let base: string;
  const hits: { path: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const clock = new Date('2026-03-10T12:00:00Z');
  let stored: StoredChannelResolver | null = null;
  const collaborators: PlaybookCollaborators = {
    // the real channels table, adapters and signing (built once the subgraph's ORM exists)
    channels: { resolve: (tenantId, name) => stored!.resolve(tenantId, name) },
    traits: { traitsOf: () => Promise.resolve({ plan: 'gold', firstName: 'Ann' }) },
    now: () => clock,
    maxSendAttempts: 3,
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hits.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    env = await createTestEnv({ WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' });
    actions = await runSubgraph(createActionsSubgraph({ collaborators, reconcileIntervalMs: 3_600_000 }), env.config, { port: 0 });
    stored = new StoredChannelResolver(actions.deps.orm, env.config, () => clock);
  });
  afterAll(async () => {
    await actions?.close();
    await env?.cleanup();
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  const em = (tenantId: string) => forkForTenant(actions.deps.orm, tenantId);
  const runOf = (tenantId: string, id: string) => em(tenantId).findOne(PlaybookRun, { id }, { disableIdentityMap: true });

  it('calls the partner through a signed webhook once, then hands the traits to profiles under a deterministic job id', async () => {
    await new ChannelService(em('s1'), 's1', new SecretBox(env.config.secret), 0).create({ name: 'crm', kind: 'webhook', config: { url: `${base}/crm` }, secret: SECRET });
    const playbook = await createTreatingEveryone(em('s1'), 's1', {
      name: 'Flag and tell the CRM',
      steps: [
        { id: 'crm', type: 'webhook', channel: 'crm', data: { plan: '{{profile.traits.plan}}', note: 'at risk: {{profile.traits.firstName}}' }, next: 'flag' },
        { id: 'flag', type: 'updateTraits', traits: { atRisk: true, offer: '{{profile.traits.plan}}-10' }, next: null },
      ],
    });
    const run = await new PlaybookRunService(em('s1'), 's1', () => clock).enrolOne(actions.deps.queues.get(PLAYBOOK_STEP), playbook.playbookId, profile(1), 'test');
    await waitFor(async () => (await runOf('s1', run.id))?.status === 'completed');

    const key = `run:${run.id}:step:crm:1`;
    const calls = hits.filter((h) => h.path === '/crm');
    expect(calls).toHaveLength(1);
    expect(calls[0].headers['webhook-id']).toBe(key);
    expect(calls[0].headers['webhook-signature']).toBe(signatureOf(key, String(calls[0].headers['webhook-timestamp']), calls[0].body));
    expect(JSON.parse(calls[0].body)).toEqual({
      type: 'playbook.webhook',
      timestamp: clock.toISOString(),
      data: { runId: run.id, stepId: 'crm', visit: 1, profileId: profile(1), data: { plan: 'gold', note: 'at risk: Ann' } },
    });
    expect(await em('s1').find(StepDelivery, { runId: run.id })).toMatchObject([{ stepId: 'crm', channel: 'crm', status: 'sent' }]);
    expect((await runOf('s1', run.id))!.history.map((h) => `${h.stepId}:${h.outcome}`)).toEqual(['crm:sent', 'flag:updated']);

    const job = await actions.deps.queues.get(SET_COMPUTED_TRAITS).getJob(`s1-playbook-${run.id}-flag-2`);
    expect(job?.data).toEqual({ tenantId: 's1', items: [{ profileId: profile(1), source: 'playbook', traits: { atRisk: true, offer: 'gold-10' } }] });

    // a replayed webhook job sends nothing more; a crash before the run's commit hands the same traits job again (a no-op)
    expect(await runPlaybookStep({ id: 'again', data: { tenantId: 's1', runId: run.id, stepId: 'crm', visit: 1 } }, actions.deps, collaborators)).toEqual({ kind: 'stale' });
    expect(hits.filter((h) => h.path === '/crm')).toHaveLength(1);
    expect(await actions.deps.queues.get(SET_COMPUTED_TRAITS).getJobCounts('waiting', 'prioritized', 'delayed')).toMatchObject({ waiting: 1 });
  });

  it('fails a webhook step on a channel that is not a webhook, following onFailure', async () => {
    await new ChannelService(em('s2'), 's2', new SecretBox(env.config.secret), 0).create({
      name: 'mail', kind: 'email', config: { host: '127.0.0.1', port: 2525, from: 'cx@example.com' }, secret: 'pw',
    });
    const playbook = await createTreatingEveryone(em('s2'), 's2', {
      name: 'Wrong channel',
      steps: [
        { id: 'call', type: 'webhook', channel: 'mail', data: {}, next: null, onFailure: 'stop' },
        { id: 'stop', type: 'exit' },
      ],
    });
    const run = await new PlaybookRunService(em('s2'), 's2', () => clock).enrolOne(actions.deps.queues.get(PLAYBOOK_STEP), playbook.playbookId, profile(2), 'test');
    await waitFor(async () => (await runOf('s2', run.id))?.status === 'completed');
    expect(await em('s2').find(StepDelivery, { runId: run.id })).toMatchObject([{ status: 'failed', error: 'channel mail is not a webhook channel' }]);
    expect((await runOf('s2', run.id))!.history.map((h) => `${h.stepId}:${h.outcome}`)).toEqual(['call:failed', 'stop:exited']);
  });

  it('refuses malformed webhook and updateTraits steps naming the field', async () => {
    await expect(
      createTreatingEveryone(em('s3'), 's3', {
        name: 'Bad',
        steps: [
          { id: 'a', type: 'webhook', channel: '', data: { x: 3 } as unknown as Record<string, string>, next: 'b' },
          { id: 'b', type: 'updateTraits', traits: { 'bad key': 1, ok: { nested: true } } as unknown as Record<string, string>, next: null },
        ],
      }),
    ).rejects.toThrow(/steps\[0\]\.channel.*steps\[0\]\.data\.x.*steps\[1\]\.traits\.bad key.*steps\[1\]\.traits\.ok/s);
  });
});
