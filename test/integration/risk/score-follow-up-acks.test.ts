import { randomBytes } from 'node:crypto';

import { Queue, type Job } from 'bullmq';

import { actionsSubgraph } from '../../../subgraphs/actions';
import { Alert } from '../../../subgraphs/actions/entities/alert.entity';
import { AlertRuleService } from '../../../subgraphs/actions/services/alert-rule.service';
import { raiseAlerts } from '../../../subgraphs/actions/workers/raise-alerts.worker';
import {
  queueOptions,
  RAISE_ALERTS,
  SCORE_FOLLOW_UPS_DONE,
  SET_COMPUTED_TRAITS,
  type JobPayloads,
  type QueueName,
} from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants, forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { profilesSubgraph } from '../../../subgraphs/profiles';
import { Profile } from '../../../subgraphs/profiles/entities/profile.entity';
import { setComputedTraits } from '../../../subgraphs/profiles/workers/set-computed-traits.worker';
import { riskSubgraph } from '../../../subgraphs/risk';
import { RiskScore } from '../../../subgraphs/risk/entities/risk-score.entity';
import { recordActivity } from '../../../subgraphs/risk/workers/record-activity.worker';
import { scoreFollowUpsDone } from '../../../subgraphs/risk/workers/score-follow-ups-done.worker';
import { sweepScores } from '../../../subgraphs/risk/workers/sweep-scores.worker';
import { activityBatch } from '../../fixtures/risk-activity-batch';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const NOW = Date.parse('2026-11-01T00:00:00Z');

/** Tenant ids unique to this run: pub/sub channels are shared by every process on the Redis. */
const tenant = (name: string) => `${name}-${randomBytes(4).toString('hex')}`;

/**
 * The risk → alerts and risk → traits hand-offs survive the loss of their jobs: each score that
 * is news keeps one marker per consumer until that consumer acknowledges (`score-follow-ups-done`),
 * and the score sweeper resends what is unacknowledged after the grace period. Risk, actions and
 * profiles in one process on real Redis and real SQL; the workers are run by hand.
 */
describe('score follow-up acknowledgements', () => {
  let env: TestEnv;
  let risk: RunningSubgraph;
  let actions: RunningSubgraph;
  let profiles: RunningSubgraph;
  const queues = new Map<QueueName, Queue>();
  const queue = <N extends QueueName>(name: N) => {
    if (!queues.has(name)) queues.set(name, new Queue(name, queueOptions(risk.deps.redis, env.config.queuePrefix)));
    return queues.get(name) as Queue<JobPayloads[N]>;
  };

  beforeAll(async () => {
    env = await createTestEnv({ RISK_SCORE_DEBOUNCE_MS: '0' });
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
    actions = await runSubgraph(actionsSubgraph, env.config, { port: 0, workers: false });
    profiles = await runSubgraph(profilesSubgraph, env.config, { port: 0, workers: false });
  }, 120_000);
  afterAll(async () => {
    // only this test's queue prefix is touched
    for (const q of queues.values()) {
      await q.obliterate({ force: true });
      await q.close();
    }
    await profiles?.close();
    await actions?.close();
    await risk?.close();
    await env?.cleanup();
  });

  const jobsOf = async <N extends QueueName>(name: N, tenantId: string): Promise<Job<JobPayloads[N]>[]> =>
    ((await queue(name).getJobs(['prioritized', 'waiting'])) as Job<JobPayloads[N]>[]).filter((j) => (j.data as { tenantId: string }).tenantId === tenantId);
  /** Redis loses the tenant's queued follow-ups (a flush, a deleted key) after they were queued. */
  const loseFollowUps = async (tenantId: string) => {
    for (const name of [RAISE_ALERTS, SET_COMPUTED_TRAITS] as const) {
      const jobs = await jobsOf(name, tenantId);
      expect(jobs).toHaveLength(1);
      for (const job of jobs) await job.remove();
    }
  };
  /** Runs the consumers' queued jobs, then the acknowledgements they queued, as the workers would. */
  const deliver = async (tenantId: string) => {
    for (const job of await jobsOf(RAISE_ALERTS, tenantId)) {
      await raiseAlerts(job, actions.deps);
      await job.remove();
    }
    for (const job of await jobsOf(SET_COMPUTED_TRAITS, tenantId)) {
      await setComputedTraits(job, profiles.deps);
      await job.remove();
    }
    // the consumers gather their acknowledgements over the ack window: sent now
    await Promise.all([actions.deps.queues.flushAcks(), profiles.deps.queues.flushAcks()]);
    for (const job of await jobsOf(SCORE_FOLLOW_UPS_DONE, tenantId)) {
      await scoreFollowUpsDone(job, risk.deps);
      await job.remove();
    }
  };
  const scores = (tenantId: string) => forkAcrossTenants(risk.deps.orm).find(RiskScore, { tenantId }, { orderBy: { id: 'asc' }, disableIdentityMap: true });
  const alerts = (tenantId: string) => forkAcrossTenants(actions.deps.orm).find(Alert, { tenantId }, { disableIdentityMap: true });
  const afterGrace = () => new Date(Date.now() + env.config.ingest.sweepGraceMs + 1000);

  /** A tenant whose five customers exist in profiles and whose rule alerts on any churn score above 1. */
  const setUp = async (tenantId: string, seed: number) => {
    // ids differ per test: profile ids are unique across tenants
    const items = activityBatch(tenantId, 5, 4, NOW, seed);
    const profileIds = [...new Set(items.map((i) => i.profileId!))];
    await forkForTenant(profiles.deps.orm, tenantId).getRepository(Profile).insertNew(tenantId, profileIds, new Date(NOW));
    await new AlertRuleService(forkForTenant(actions.deps.orm, tenantId), tenantId).create({
      name: 'Any churn',
      severity: 'low',
      team: 'retention',
      trigger: { type: 'risk_crossing', riskKind: 'churn', threshold: 1, direction: 'up', hysteresis: 0 },
    });
    return { items, profileIds };
  };

  it('keeps each consumer’s marker until it acknowledges, and clears it when it does', async () => {
    const t = tenant('acked');
    const { items } = await setUp(t, 1);
    await recordActivity({ id: `${t}-1`, data: { tenantId: t, items } }, risk.deps, new Date(NOW));
    await risk.deps.queues.flushAcks();
    const stored = await scores(t);
    expect(stored).toHaveLength(5);
    // queued, not yet stored by the consumers: still owed
    expect(stored.every((s) => s.followUpPendingSince !== null && s.traitsPendingSince !== null)).toBe(true);

    await deliver(t);
    expect((await scores(t)).filter((s) => s.followUpPendingSince !== null || s.traitsPendingSince !== null)).toEqual([]);
    expect((await alerts(t)).map((a) => a.scoreId).sort()).toEqual(stored.map((s) => s.id).sort());
    expect(await sweepScores(risk.deps, afterGrace())).toBe(0);
  });

  it('resends alerts and traits lost from Redis after the grace period: each alert once, every trait set', async () => {
    const t = tenant('lost');
    const { items, profileIds } = await setUp(t, 2);
    await recordActivity({ id: `${t}-1`, data: { tenantId: t, items } }, risk.deps, new Date(NOW));
    await risk.deps.queues.flushAcks();
    await loseFollowUps(t);
    const stored = await scores(t);

    // inside the grace period the sweeper leaves them alone (their jobs may still be on their way)
    expect(await sweepScores(risk.deps, new Date())).toBe(0);
    // five scores owed to each consumer
    expect(await sweepScores(risk.deps, afterGrace())).toBe(10);
    const resent = [...(await jobsOf(RAISE_ALERTS, t)), ...(await jobsOf(SET_COMPUTED_TRAITS, t))];
    expect(resent).toHaveLength(2);
    for (const job of resent) expect(job.id).toContain('-swept');
    // a sweep inside the same period queues nothing new
    expect(await sweepScores(risk.deps, afterGrace())).toBe(10);
    expect(await jobsOf(RAISE_ALERTS, t)).toHaveLength(1);

    // the raise-alerts batch replayed (a retry after a crash) still alerts once per score
    const [alertJob] = await jobsOf(RAISE_ALERTS, t);
    await raiseAlerts(alertJob, actions.deps);
    await deliver(t);

    const raised = await alerts(t);
    expect(raised).toHaveLength(5);
    expect(raised.map((a) => a.scoreId).sort()).toEqual(stored.map((s) => s.id).sort());
    const written = await forkAcrossTenants(profiles.deps.orm).find(Profile, { tenantId: t, id: { $in: profileIds } }, { disableIdentityMap: true });
    for (const profile of written) {
      const score = stored.find((s) => s.profileId === profile.id)!;
      expect(profile.computedTraits.risk).toEqual({ churnBucket: score.bucket, churnScore: score.score, scoredAt: score.scoredAt.toISOString() });
    }
    expect((await scores(t)).filter((s) => s.followUpPendingSince !== null || s.traitsPendingSince !== null)).toEqual([]);
    // done: a second sweep finds nothing pending
    expect(await sweepScores(risk.deps, afterGrace())).toBe(0);
  });

  it('acknowledges the traits of profiles that do not exist (a resend cannot change that)', async () => {
    const t = tenant('ghost');
    // no profiles and no rule: raise-alerts evaluates the default rule, set-computed-traits finds no profile
    await recordActivity({ id: `${t}-1`, data: { tenantId: t, items: activityBatch(t, 2, 4, NOW, 3) } }, risk.deps, new Date(NOW));
    await risk.deps.queues.flushAcks();
    const [traitsJob] = await jobsOf(SET_COMPUTED_TRAITS, t);
    await expect(setComputedTraits(traitsJob, profiles.deps)).rejects.toThrow('no profile');
    await traitsJob.remove();
    await deliver(t);
    expect((await scores(t)).filter((s) => s.followUpPendingSince !== null || s.traitsPendingSince !== null)).toEqual([]);
  });
});
