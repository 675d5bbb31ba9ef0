import { Queue, UnrecoverableError } from 'bullmq';

import { raiseAlerts } from '../../../subgraphs/actions/workers/raise-alerts.worker';
import { actionsSubgraph } from '../../../subgraphs/actions';
import { Alert } from '../../../subgraphs/actions/entities/alert.entity';
import { RAISE_ALERTS, queueOptions, type JobPayloads } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';

type Payload = JobPayloads[typeof RAISE_ALERTS];
const crossing = (over: Partial<Payload> = {}): Payload => ({
  tenantId: 't1',
  profileId: '01a21226-0000-7000-8000-000000000001',
  scoreId: 'score-1',
  score: 81,
  bucket: 'high',
  previousBucket: 'medium',
  ...over,
});

describe('raiseAlerts', () => {
  let env: TestEnv;
  let actions: RunningSubgraph;

  beforeAll(async () => {
    env = await createTestEnv();
    actions = await runSubgraph(actionsSubgraph, env.config, { port: 0 });
  });
  afterAll(async () => {
    await actions?.close();
    await env?.cleanup();
  });

  const alertsOf = (tenantId: string) => forkAcrossTenants(actions.deps.orm).find(Alert, { tenantId });

  it('raises one alert for a crossing into High, however often the job runs', async () => {
    const job = { id: 'j1', data: crossing() };
    await raiseAlerts(job, actions.deps);
    await raiseAlerts(job, actions.deps);
    const alerts = await alertsOf('t1');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ type: 'risk_high', score: 81, status: 'open' });
    expect(alerts[0].message).toContain('medium → high');
  });

  it.each([
    ['a move within High', crossing({ tenantId: 't2', previousBucket: 'high' })],
    ['a drop to Medium', crossing({ tenantId: 't2', bucket: 'medium', previousBucket: 'high' })],
  ])('raises nothing for %s', async (_name, data) => {
    await raiseAlerts({ id: 'j2', data }, actions.deps);
    expect(await alertsOf('t2')).toHaveLength(0);
  });

  it('rejects a malformed payload as unrecoverable (no retries)', async () => {
    await expect(raiseAlerts({ id: 'bad', data: { tenantId: 't3' } as Payload }, actions.deps)).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('consumes jobs from the real queue, once per job id', async () => {
    const queue = new Queue<Payload>(RAISE_ALERTS, queueOptions(actions.deps.redis, env.config.queuePrefix));
    try {
      const data = crossing({ tenantId: 't4', scoreId: 'score-q' });
      // the same job id twice: BullMQ keeps one job, and the alert is keyed on the score anyway
      await queue.add(RAISE_ALERTS, data, { jobId: 't4-score-q' });
      await queue.add(RAISE_ALERTS, data, { jobId: 't4-score-q' });
      await waitFor(async () => (await alertsOf('t4')).length === 1);
      await waitFor(async () => (await queue.getJobCounts('completed')).completed === 1);
      expect(await alertsOf('t4')).toHaveLength(1);
    } finally {
      await queue.close();
    }
  });
});
