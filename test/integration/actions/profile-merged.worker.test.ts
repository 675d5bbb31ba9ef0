import { Queue } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { actionsSubgraph } from '../../../subgraphs/actions';
import { Alert } from '../../../subgraphs/actions/entities/alert.entity';
import { profileMergedInActions } from '../../../subgraphs/actions/workers/profile-merged.worker';
import { raiseAlerts } from '../../../subgraphs/actions/workers/raise-alerts.worker';
import { MERGE_RECHECK, MERGE_RECHECK_DELAY_MS } from '../../../subgraphs/common/profile-merged-job';
import { PROFILE_MERGED_ACTIONS, queueOptions, type ProfileMergedJob } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';

/** A merge reaches actions: alerts re-pointed, replays harmless, chains in any order, late crossings follow (real SQL, real Redis). */
describe('profile-merged (actions)', () => {
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

  const merge = (tenantId: string, mergedProfileId: string, profileId: string) =>
    profileMergedInActions({ id: `${tenantId}-merge-${mergedProfileId}`, name: PROFILE_MERGED_ACTIONS, data: { tenantId, profileId, mergedProfileId } }, actions.deps);
  const raise = (tenantId: string, profileId: string) =>
    raiseAlerts({ id: 'r', data: { tenantId, profileId, scoreId: uuidv7(), score: 82, bucket: 'high', previousBucket: 'medium' } }, actions.deps);
  const alertsOf = (tenantId: string, profileId: string) => forkAcrossTenants(actions.deps.orm).count(Alert, { tenantId, profileId });

  it('moves the merged profile’s alerts to the survivor; a replay changes nothing', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    await raise('t1', a);
    await raise('t1', a);
    await raise('t1', b);
    expect(await merge('t1', a, b)).toBe(2);
    expect([await alertsOf('t1', a), await alertsOf('t1', b)]).toEqual([0, 3]);
    expect(await merge('t1', a, b)).toBe(0);
    expect([await alertsOf('t1', a), await alertsOf('t1', b)]).toEqual([0, 3]);
  });

  it.each([
    ['in order', ['ab', 'bc']],
    ['out of order', ['bc', 'ab']],
  ])('follows a chain A → B → C arriving %s, and a crossing raised later under A lands on C', async (_name, order) => {
    const tenantId = `t2-${order.join('')}`;
    const [a, b, c] = [uuidv7(), uuidv7(), uuidv7()];
    for (const p of [a, b, c]) await raise(tenantId, p);
    for (const step of order) await (step === 'ab' ? merge(tenantId, a, b) : merge(tenantId, b, c));
    expect([await alertsOf(tenantId, a), await alertsOf(tenantId, b), await alertsOf(tenantId, c)]).toEqual([0, 0, 3]);
    await raise(tenantId, a);
    expect([await alertsOf(tenantId, a), await alertsOf(tenantId, c)]).toEqual([0, 4]);
  });

  it('ignores a merge that would close a cycle', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    await raise('t3', a);
    await merge('t3', a, b);
    expect(await merge('t3', b, a)).toBeNull();
    expect(await alertsOf('t3', b)).toBe(1);
  });

  it('consumes merge notices from its own queue, once per job id', async () => {
    const [a, b] = [uuidv7(), uuidv7()];
    await raise('t4', a);
    const queue = new Queue<ProfileMergedJob>(PROFILE_MERGED_ACTIONS, queueOptions(actions.deps.redis, env.config.queuePrefix));
    try {
      const data = { tenantId: 't4', profileId: b, mergedProfileId: a };
      await queue.add(PROFILE_MERGED_ACTIONS, data, { jobId: `t4-merge-${a}` });
      await queue.add(PROFILE_MERGED_ACTIONS, data, { jobId: `t4-merge-${a}` });
      await waitFor(async () => (await alertsOf('t4', b)) === 1);
      await waitFor(async () => (await queue.getJobCounts('completed')).completed === 1);
      expect(await alertsOf('t4', a)).toBe(0);
      const recheck = await queue.getJob(`t4-merge-${a}-recheck`);
      expect(recheck).toMatchObject({ name: MERGE_RECHECK, data, delay: MERGE_RECHECK_DELAY_MS });
    } finally {
      await queue.close();
    }
  });
});
