import { RESOLVE_IDENTITY } from '../../subgraphs/common/queues';
import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { bearer, gql, startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const STATUS = /* GraphQL */ `
  {
    pipelineStatus {
      stages { stage waitP50Ms waitP99Ms runP50Ms }
      tenants { tenantId inFlightEvents inFlightHistoryEvents maxInFlightEvents stages { stage waitP50Ms waitP99Ms } }
    }
  }
`;

describe('admission by lag through the gateway (the whole stack, real workers)', () => {
  let stack: Stack;
  let floodKey: string;
  let calmKey: string;

  beforeAll(async () => {
    // flood may have 5 events accepted and not yet scored; calm has the default share
    stack = await startStack({ INGEST_TENANT_LIMITS: JSON.stringify({ flood: { maxInFlight: 5 } }) });
    floodKey = await stack.key('flood', ['events:write', 'admin']);
    calmKey = await stack.key('calm', ['events:write', 'admin']);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const post = (key: string, messageIds: string[]) =>
    fetch(stack.gateway.url.replace(/\/graphql$/, '/v1/batch'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
      body: JSON.stringify({ batch: messageIds.map((messageId) => ({ type: 'track', event: 'Feature Used', userId: `user-${messageId}`, messageId })) }),
    });
  const stored = (tenantId: string, messageId: string) => forkAcrossTenants(stack.subgraphs.signals.deps.orm).count(Event, { tenantId, messageId });

  it('answers 429 with Retry-After to a tenant over its lag share, takes another tenant, and takes the first again once its events are scored', async () => {
    const resolve = stack.subgraphs.signals.deps.queues.get(RESOLVE_IDENTITY);
    // hold the pipeline at its first stage: flood's events stay in flight until it resumes
    await resolve.pause();
    try {
      expect((await post(floodKey, ['f-1', 'f-2', 'f-3', 'f-4', 'f-5', 'f-6'])).status).toBe(200);
      // admission reads the count every few hundred ms: wait for the refusal itself
      let refused!: Response;
      let attempt = 0;
      await waitFor(async () => {
        refused = await post(floodKey, [`f-late-${++attempt}`]);
        return refused.status === 429;
      });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await refused.json()).toMatchObject({ success: false, code: 'RATE_LIMITED' });
      expect(await stored('flood', `f-late-${attempt}`)).toBe(0);
      // the other tenant is taken while flood waits
      expect((await post(calmKey, ['c-1', 'c-2', 'c-3', 'c-4', 'c-5', 'c-6', 'c-7'])).status).toBe(200);
      const status = (await gql(stack.gateway.url, STATUS, {}, bearer(floodKey))).data!.pipelineStatus;
      expect(status.tenants[0]).toMatchObject({ tenantId: 'flood', inFlightHistoryEvents: 0, maxInFlightEvents: 5 });
      expect(status.tenants[0].inFlightEvents).toBeGreaterThan(5);
    } finally {
      await resolve.resume();
    }
    // once risk has acknowledged flood's events, its requests are taken again
    await waitFor(async () => (await post(floodKey, ['f-again'])).status === 200, 60_000, 200);
    expect(await stored('flood', 'f-again')).toBe(1);
    // and the waits each stage's jobs had are shown, for the tenant and for the stage
    await waitFor(async () => {
      const status = (await gql(stack.gateway.url, STATUS, {}, bearer(floodKey))).data!.pipelineStatus;
      const own = status.tenants[0].stages.find((s: { stage: string }) => s.stage === 'RISK');
      return own.waitP50Ms !== null;
    }, 30_000, 200);
    const status = (await gql(stack.gateway.url, STATUS, {}, bearer(floodKey))).data!.pipelineStatus;
    const resolveWait = status.tenants[0].stages.find((s: { stage: string }) => s.stage === 'RESOLVE');
    // flood's first resolve job waited out the pause: its wait is recorded as it was
    expect(resolveWait.waitP99Ms).toBeGreaterThan(0);
    expect(status.stages.find((s: { stage: string }) => s.stage === 'RESOLVE').runP50Ms).not.toBeNull();
  });
});
