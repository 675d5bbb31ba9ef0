import { Queue } from 'bullmq';

import { queueOptions, RAISE_ALERTS, SET_COMPUTED_TRAITS, type JobPayloads, type Queues } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { riskSubgraph } from '../../../subgraphs/risk';
import { RiskScore } from '../../../subgraphs/risk/entities/risk-score.entity';
import { recordActivity } from '../../../subgraphs/risk/workers/record-activity.worker';
import { scoreFollowUpsDone } from '../../../subgraphs/risk/workers/score-follow-ups-done.worker';
import { sweepScores } from '../../../subgraphs/risk/workers/sweep-scores.worker';
import { activityBatch } from '../../fixtures/risk-activity-batch';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';

const NOW = Date.parse('2026-11-01T00:00:00Z');

/**
 * A score change's follow-ups (`raise-alerts`, the risk trait) are queued after its score row is
 * stored. A process that dies in between leaves the row's markers set; BullMQ's
 * retry of the job then finds the score unchanged and announces nothing, so only the score
 * sweeper can finish the job.
 */
describe('sweepScores', () => {
  let env: TestEnv;
  let risk: RunningSubgraph;
  let alerts: Queue<JobPayloads[typeof RAISE_ALERTS]>;
  let traits: Queue<JobPayloads[typeof SET_COMPUTED_TRAITS]>;

  beforeAll(async () => {
    env = await createTestEnv({ RISK_SCORE_DEBOUNCE_MS: '0' });
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
    alerts = new Queue(RAISE_ALERTS, queueOptions(risk.deps.redis, env.config.queuePrefix));
    traits = new Queue(SET_COMPUTED_TRAITS, queueOptions(risk.deps.redis, env.config.queuePrefix));
  }, 120_000);
  afterAll(async () => {
    await alerts?.close();
    await traits?.close();
    await risk?.close();
    await env?.cleanup();
  });

  const scores = (tenantId: string) => forkAcrossTenants(risk.deps.orm).find(RiskScore, { tenantId }, { orderBy: { id: 'asc' } });
  /** The process dies when it queues (holds) the crossings' alerts: everything before is committed. */
  const dyingQueues = {
    // the news is held for the ack window: the process dies holding it
    held: () => {
      throw new Error('process killed');
    },
    get: (name: Parameters<Queues['get']>[0]) => {
      const killed = () => Promise.reject(new Error('process killed'));
      if (name === RAISE_ALERTS) return { name, add: killed, addBulk: killed };
      return risk.deps.queues.get(name);
    },
  } as unknown as Queues;
  /** The score ids handed to the alert rules, over every raise-alerts batch of the tenant. */
  const alerted = async (tenantId: string) =>
    (await alerts.getJobs(['prioritized', 'waiting']))
      .filter((j) => j.data.tenantId === tenantId)
      .flatMap((j) => ('changes' in j.data ? j.data.changes : []));
  const afterGrace = () => new Date(Date.now() + env.config.ingest.sweepGraceMs + 1000);

  it('queues the follow-ups and keeps the markers until the consumers acknowledge them', async () => {
    const tenantId = 'healthy';
    await recordActivity({ id: 'h-1', data: { tenantId, items: activityBatch(tenantId, 5, 4, NOW) } }, risk.deps, new Date(NOW));
    await risk.deps.queues.flushAcks();
    const stored = await scores(tenantId);
    // every profile's first score is a crossing
    expect(stored).toHaveLength(5);
    // queued is not stored: cleared only by score-follow-ups-done (see score-follow-up-acks.test.ts)
    expect(stored.every((s) => s.followUpPendingSince !== null && s.traitsPendingSince !== null)).toBe(true);
    expect((await alerted(tenantId)).map((c) => c.scoreId).sort()).toEqual(stored.map((s) => s.id).sort());
    // inside the grace period the sweeper leaves them alone
    expect(await sweepScores(risk.deps, new Date())).toBe(0);
    // the consumers acknowledge, each for itself: nothing is owed any more
    const scoreIds = stored.map((s) => s.id);
    await scoreFollowUpsDone({ id: 'h-1-alerts-done', data: { tenantId, consumer: 'alerts', scoreIds } }, risk.deps);
    expect((await scores(tenantId)).every((s) => s.followUpPendingSince === null && s.traitsPendingSince !== null)).toBe(true);
    await scoreFollowUpsDone({ id: 'h-1-traits-done', data: { tenantId, consumer: 'traits', scoreIds } }, risk.deps);
    expect((await scores(tenantId)).filter((s) => s.followUpPendingSince !== null || s.traitsPendingSince !== null)).toEqual([]);
    expect(await sweepScores(risk.deps, afterGrace())).toBe(0);
  });

  it('queues the follow-ups of crossings whose process died before queueing them, once, after the grace period', async () => {
    const tenantId = 'crashed';
    const job = { id: 'c-1', data: { tenantId, items: activityBatch(tenantId, 5, 4, NOW) } };
    await expect(recordActivity(job, { ...risk.deps, queues: dyingQueues }, new Date(NOW))).rejects.toThrow('process killed');
    const stored = await scores(tenantId);
    expect(stored).toHaveLength(5);
    expect(stored.every((s) => s.followUpPendingSince !== null)).toBe(true);

    // BullMQ retries the job: the scores are there and unchanged, so the retry announces nothing
    await recordActivity(job, risk.deps, new Date(NOW));
    await risk.deps.queues.flushAcks();
    expect(await scores(tenantId)).toHaveLength(5);
    expect(await alerted(tenantId)).toEqual([]);

    // inside the grace period the sweeper leaves them alone (their job may still be on its way)
    expect(await sweepScores(risk.deps, new Date())).toBe(0);
    const period = afterGrace();
    // five scores owed to actions, five to profiles (churn crossings)
    expect(await sweepScores(risk.deps, period)).toBe(10);
    const changes = await alerted(tenantId);
    expect(changes.map((c) => c.scoreId).sort()).toEqual(stored.map((s) => s.id).sort());
    for (const s of stored) {
      expect(changes.find((c) => c.scoreId === s.id)).toMatchObject({ profileId: s.profileId, score: s.score, bucket: s.bucket, previousScore: null, previousBucket: null });
    }
    // the churn buckets go to profiles in one fair-ordered set-computed-traits batch
    const traitJobs = (await traits.getJobs(['prioritized', 'waiting'])).filter((j) => j.data.tenantId === tenantId);
    const pushed = traitJobs.flatMap((j) => ('items' in j.data ? j.data.items.map((i) => i.profileId) : [j.data.profileId]));
    expect(pushed.sort()).toEqual(stored.map((s) => s.profileId).sort());
    // still owed until the consumers acknowledge; a sweep in the same period queues nothing new
    expect((await scores(tenantId)).every((s) => s.followUpPendingSince !== null && s.traitsPendingSince !== null)).toBe(true);
    expect(await sweepScores(risk.deps, period)).toBe(10);
    expect(await alerted(tenantId)).toHaveLength(5);
  });
  it('sweeps tenant by tenant: a tenant with a large backlog does not hold up another tenant’s resends', async () => {
    for (const tenantId of ['backlog-a', 'backlog-b']) {
      const job = { id: `${tenantId}-1`, data: { tenantId, items: activityBatch(tenantId, 5, 4, NOW, 7) } };
      await expect(recordActivity(job, { ...risk.deps, queues: dyingQueues }, new Date(NOW))).rejects.toThrow('process killed');
    }
    // pages of 2 scores, one page per tenant and consumer a sweep: each tenant gets its 2 resent
    // per consumer, whatever the other holds (the earlier tenant of this file has 5 owed as well)
    const period = afterGrace();
    await sweepScores(risk.deps, period, { pageSize: 2, maxPages: 1 });
    expect((await alerted('backlog-a')).length).toBe(2);
    expect((await alerted('backlog-b')).length).toBe(2);
  });
});
