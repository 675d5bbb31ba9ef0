import { actionsSubgraph } from '../../../subgraphs/actions';
import { Channel } from '../../../subgraphs/actions/entities/channel.entity';
import { StoredChannelResolver } from '../../../subgraphs/actions/services/channels/channel-resolver';
import { WebhookAdapter } from '../../../subgraphs/actions/services/channels/webhook.adapter';
import { CONTEXT_HEADER, signContext } from '../../../subgraphs/common/auth-context';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { gql } from '../../fixtures/stack';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const SECRET_A = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
const SECRET_B = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
const FIELDS = 'id name kind config enabled disabledReason hasSecret secrets { id createdAt expiresAt fromEnv } consecutiveFailures';
const CREATE = `mutation($input: CreateChannelInput!) { createChannel(input: $input) { ${FIELDS} } }`;

describe('channels (admin)', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;

  beforeAll(async () => {
    env = await createTestEnv();
    actions = await runSubgraph(actionsSubgraph, env.config, { port: 0, workers: false });
  });
  afterAll(async () => {
    await actions?.close();
    await env?.cleanup();
  });

  const as = (tenantId: string, scopes = ['admin']) => ({ [CONTEXT_HEADER]: signContext({ tenantId, keyId: 'k', scopes }, env.config.secret, 'actions', 60) });
  const call = (tenantId: string, query: string, variables: Record<string, unknown> = {}, scopes?: string[]) => gql(actions.url, query, variables, as(tenantId, scopes));
  const webhook = (name: string, over: Record<string, unknown> = {}) => ({
    name,
    kind: 'WEBHOOK',
    config: { url: 'https://hooks.example.com/foresight', subscribe: ['alert.raised'] },
    secret: SECRET_A,
    ...over,
  });

  it('creates a webhook channel, stores its secret sealed and never returns it', async () => {
    const res = await call('t1', CREATE, { input: webhook('ops') });
    expect(res.errors).toBeUndefined();
    const created = res.data!.createChannel;
    expect(created).toMatchObject({ name: 'ops', kind: 'WEBHOOK', enabled: true, hasSecret: true, config: { url: 'https://hooks.example.com/foresight', subscribe: ['alert.raised'], allowedHosts: [] } });
    expect(created.secrets).toHaveLength(1);
    expect(created.secrets[0]).toMatchObject({ expiresAt: null, fromEnv: false });
    expect(JSON.stringify(res)).not.toContain(SECRET_A.slice(6));
    const row = await forkAcrossTenants(actions.deps.orm).findOneOrFail(Channel, { id: created.id });
    expect(JSON.stringify(row.secrets)).not.toContain(SECRET_A.slice(6));
    expect(row.secrets[0].value).toMatch(/^v1\./);
  });

  it('rejects bad input with BAD_USER_INPUT naming each field', async () => {
    const res = await call('t1', CREATE, { input: webhook('bad name!', { config: { url: 'ftp://x', subscribe: ['alert.nope'], colour: 'red' }, secret: 'hunter2' }) });
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const fields = (res.errors?.[0].extensions as { fields: { field: string }[] }).fields.map((f) => f.field);
    expect(fields).toEqual(expect.arrayContaining(['input.name', 'input.config.url', 'input.config.subscribe[0]', 'input.config.colour', 'input.secret']));
  });

  it('answers CONFLICT for a name taken in the tenant, and allows it in another tenant', async () => {
    await call('t2', CREATE, { input: webhook('dup') });
    const again = await call('t2', CREATE, { input: webhook('dup') });
    expect(again.errors?.[0].extensions?.code).toBe('CONFLICT');
    const other = await call('t3', CREATE, { input: webhook('dup') });
    expect(other.errors).toBeUndefined();
  });

  it('rotates a webhook secret with an overlap: both secrets sign until the old one expires', async () => {
    const { data } = await call('t4', CREATE, { input: webhook('rot') });
    const id = data!.createChannel.id;
    const res = await call('t4', `mutation($id: ID!, $s: String!) { rotateChannelSecret(id: $id, secret: $s) { ${FIELDS} } }`, { id, s: SECRET_B });
    expect(res.errors).toBeUndefined();
    const secrets = res.data!.rotateChannelSecret.secrets;
    expect(secrets).toHaveLength(2);
    expect(new Date(secrets[0].expiresAt).getTime()).toBeGreaterThan(Date.now() + env.config.channels.secretOverlapMs - 60_000);
    expect(secrets[1].expiresAt).toBeNull();

    const resolver = new StoredChannelResolver(actions.deps.orm, env.config);
    const adapter = (await resolver.resolve('t4', 'rot')) as WebhookAdapter;
    expect(adapter).toBeInstanceOf(WebhookAdapter);
    expect((adapter as unknown as { signers: unknown[] }).signers).toHaveLength(2);
    // after the overlap only the new secret signs
    const later = new StoredChannelResolver(actions.deps.orm, env.config, () => new Date(Date.now() + env.config.channels.secretOverlapMs + 1000));
    expect(((await later.resolve('t4', 'rot')) as unknown as { signers: unknown[] }).signers).toHaveLength(1);

    const bad = await call('t4', `mutation($id: ID!, $s: String!) { rotateChannelSecret(id: $id, secret: $s) { id } }`, { id, s: 'short' });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'secret' }] });
  });

  it('disables and enables a channel; the resolver finds only enabled ones', async () => {
    const { data } = await call('t5', CREATE, { input: webhook('onoff') });
    const id = data!.createChannel.id;
    const resolver = new StoredChannelResolver(actions.deps.orm, env.config);
    const off = await call('t5', `mutation($id: ID!) { disableChannel(id: $id, reason: "maintenance") { enabled disabledReason } }`, { id });
    expect(off.data!.disableChannel).toEqual({ enabled: false, disabledReason: 'maintenance' });
    expect(await resolver.resolve('t5', 'onoff')).toBeNull();
    const on = await call('t5', `mutation($id: ID!) { enableChannel(id: $id) { enabled disabledReason } }`, { id });
    expect(on.data!.enableChannel).toEqual({ enabled: true, disabledReason: null });
    expect(await resolver.resolve('t5', 'onoff')).not.toBeNull();
    expect(await resolver.resolve('t5', 'missing')).toBeNull();
  });

  it('updates settings with validation and keeps the kind', async () => {
    const { data } = await call('t6', CREATE, { input: webhook('upd') });
    const id = data!.createChannel.id;
    const ok = await call('t6', `mutation($id: ID!, $input: UpdateChannelInput!) { updateChannel(id: $id, input: $input) { name config } }`, {
      id,
      input: { name: 'upd2', config: { url: 'https://other.example.com/h' } },
    });
    expect(ok.data!.updateChannel).toEqual({ name: 'upd2', config: { url: 'https://other.example.com/h', subscribe: [], allowedHosts: [] } });
    const bad = await call('t6', `mutation($id: ID!, $input: UpdateChannelInput!) { updateChannel(id: $id, input: $input) { name } }`, { id, input: { config: { url: 42 } } });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: [{ field: 'input.config.url' }] });
  });

  it('keeps tenants apart and requires the admin scope', async () => {
    const { data } = await call('t7', CREATE, { input: webhook('mine') });
    const id = data!.createChannel.id;
    const list = await call('t8', `{ channels { id } }`);
    expect(list.data!.channels).toEqual([]);
    const theirs = await call('t8', `mutation($id: ID!) { disableChannel(id: $id) { id } }`, { id });
    expect(theirs.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(await new StoredChannelResolver(actions.deps.orm, env.config).resolve('t8', 'mine')).toBeNull();
    const writer = await call('t7', `{ channels { id } }`, {}, ['actions:write']);
    expect(writer.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const badId = await call('t7', `mutation { enableChannel(id: "not-a-uuid") { id } }`);
    expect(badId.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('accepts env references for secrets and reads them at send time', async () => {
    const res = await call('t9', CREATE, { input: { name: 'sms', kind: 'SMS', config: { accountSid: 'AC1', from: '+15550000' }, secret: 'env:FORESIGHT_TEST_SMS_TOKEN' } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.createChannel.secrets[0].fromEnv).toBe(true);
    const row = await forkAcrossTenants(actions.deps.orm).findOneOrFail(Channel, { id: res.data!.createChannel.id });
    expect(row.secrets[0].value).toBe('env:FORESIGHT_TEST_SMS_TOKEN');
  });
});
