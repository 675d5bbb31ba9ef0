import { Queue, UnrecoverableError } from 'bullmq';

import { AppError } from '../../../subgraphs/common/errors';
import { queueOptions, SCORE_PROFILE, type JobPayloads, type RecordActivityJob } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { riskSubgraph } from '../../../subgraphs/risk';
import { buildFeatures } from '../../../subgraphs/risk/domain/churn/features';
import { predictProbability } from '../../../subgraphs/risk/domain/churn/logistic-regression';
import { ActivityEvent } from '../../../subgraphs/risk/entities/activity-event.entity';
import { JourneySnapshot } from '../../../subgraphs/risk/entities/journey-snapshot.entity';
import { RiskScore } from '../../../subgraphs/risk/entities/risk-score.entity';
import { ActivitySignal } from '../../../subgraphs/risk/entities/activity-signal.entity';
import { ModelKind, ModelStatus } from '../../../subgraphs/risk/entities/model-version.entity';
import { ActivityService } from '../../../subgraphs/risk/services/activity.service';
import { ModelService } from '../../../subgraphs/risk/services/model.service';
import { riskServiceFor } from '../../../subgraphs/risk/services/risk-service-factory';
import type { ChurnTrainingSettings } from '../../../subgraphs/risk/services/model-training.service';
import type { ChurnModelParams } from '../../../subgraphs/risk/services/scoring.service';
import { recordActivity } from '../../../subgraphs/risk/workers/record-activity.worker';
import { rescoreProfiles } from '../../../subgraphs/risk/workers/rescore-profiles.worker';
import { scoreProfile } from '../../../subgraphs/risk/workers/score-profile.worker';
import { trainModel } from '../../../subgraphs/risk/workers/train-model.worker';
import { seedSyntheticTenant, syntheticId as uuid } from '../../fixtures/synthetic-tenant';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-01T00:00:00Z');
const TENANT = 'acme';

/** A risk subgraph (no workers) on a fresh test environment, for the enclosing describe. */
function useRiskSubgraph(extraEnv: Record<string, string> = {}): { risk: RunningSubgraph } {
  const ctx = {} as { risk: RunningSubgraph; env: TestEnv };
  beforeAll(async () => {
    ctx.env = await createTestEnv(extraEnv);
    ctx.risk = await runSubgraph(riskSubgraph, ctx.env.config, { port: 0, workers: false });
  });
  afterAll(async () => {
    await ctx.risk?.close();
    await ctx.env?.cleanup();
  });
  return ctx;
}

const churnSettings = (overrides: Partial<ChurnTrainingSettings> = {}): Record<string, unknown> =>
  ({
    label: { kind: 'event', event: 'Subscription Cancelled', withinDays: 30 },
    events: ['Feature Used'],
    traits: [],
    signalTypes: null,
    purchaseEvent: 'Order Completed',
    snapshotDates: null,
    snapshotEveryDays: 14,
    snapshotCount: 6,
    holdoutFraction: 0.3,
    l2: 1,
    ...overrides,
  }) as unknown as Record<string, unknown>;

describe('churn model: record → train → activate → score', () => {
  let env: TestEnv;
  let risk: RunningSubgraph;
  let scoreQueue: Queue<JobPayloads[typeof SCORE_PROFILE]>;

  beforeAll(async () => {
    env = await createTestEnv({ RISK_SCORE_DEBOUNCE_MS: '60000' });
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
    scoreQueue = new Queue(SCORE_PROFILE, queueOptions(risk.deps.redis, env.config.queuePrefix));
    await seedSyntheticTenant(forkAcrossTenants(risk.deps.orm), TENANT, 400, NOW);
  }, 120_000);
  afterAll(async () => {
    await scoreQueue?.close();
    await risk?.close();
    await env?.cleanup();
  });

  const models = () => new ModelService(forkAcrossTenants(risk.deps.orm), TENANT, risk.deps.queues);
  const train = async (settings: Record<string, unknown>, kind = ModelKind.CHURN, tenantId = TENANT) => {
    const requested = await new ModelService(forkAcrossTenants(risk.deps.orm), tenantId, risk.deps.queues).requestTraining(kind, settings);
    const progress: number[] = [];
    const trained = await trainModel({ id: requested.id, data: { tenantId, modelId: requested.id }, updateProgress: async (p: number | object) => void progress.push(p as number) }, risk.deps);
    return { requested, trained, progress };
  };

  it('records each observation once however often its job replays, and asks for one debounced score of its batch', async () => {
    const profileId = uuid(9, 1);
    const job: RecordActivityJob = { kind: 'event', tenantId: TENANT, profileId, eventId: uuid(9, 2), type: 'track', name: 'Feature Used', timestamp: new Date(NOW).toISOString(), revenue: null, traits: {} };
    for (let i = 0; i < 3; i++) await recordActivity({ id: `job-${i}`, data: job }, risk.deps);
    expect(await forkAcrossTenants(risk.deps.orm).count(ActivityEvent, { tenantId: TENANT, eventId: job.eventId })).toBe(1);
    const jobs = (await scoreQueue.getJobs(['delayed', 'waiting'])).filter((j) => j.data.profileId === profileId);
    expect(jobs).toHaveLength(1);
    expect(jobs[0].data).toEqual({ tenantId: TENANT, profileId, profileIds: [profileId], reason: 'activity:event' });
  });

  it('records every item of a record-activity batch (identify traits included), and refuses an item of another tenant', async () => {
    const profileId = uuid(9, 3);
    const items: RecordActivityJob[] = [
      { kind: 'event', tenantId: TENANT, profileId, eventId: uuid(9, 4), type: 'identify', name: null, timestamp: new Date(NOW).toISOString(), revenue: null, traits: { plan: 'pro' } },
      { kind: 'event', tenantId: TENANT, profileId, eventId: uuid(9, 5), type: 'track', name: 'Order Completed', timestamp: new Date(NOW).toISOString(), revenue: 12, traits: {} },
    ];
    for (let i = 0; i < 2; i++) await recordActivity({ id: 'batch-1', data: { tenantId: TENANT, items } }, risk.deps);
    const stored = await forkAcrossTenants(risk.deps.orm).find(ActivityEvent, { tenantId: TENANT, profileId }, { orderBy: { eventId: 'asc' } });
    expect(stored.map((e) => [e.type, e.revenue])).toEqual([
      ['identify', null],
      ['track', 12],
    ]);
    expect((await scoreQueue.getJobs(['delayed', 'waiting'])).filter((j) => j.data.profileId === profileId)).toHaveLength(1);
    await expect(recordActivity({ id: 'batch-x', data: { tenantId: 'other', items } }, risk.deps)).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('scores with the documented prior before the tenant has a model, with signals as reasons', async () => {
    const signalled = (await forkAcrossTenants(risk.deps.orm).findOneOrFail(ActivitySignal, { tenantId: TENANT, type: 'retry_loop' }, { orderBy: { detectedAt: 'desc' } })).profileId;
    const at = new Date((await forkAcrossTenants(risk.deps.orm).findOneOrFail(ActivitySignal, { tenantId: TENANT, profileId: signalled }, { orderBy: { detectedAt: 'desc' } })).detectedAt.getTime() + DAY);
    const score = await scoreProfile({ id: 'p', data: { tenantId: TENANT, profileId: signalled, reason: 'test' } }, risk.deps, at);
    expect(score.modelName).toBe('prior');
    expect(score.modelId).toBeNull();
    expect(score.probability).toBeGreaterThan(0.1);
    expect(score.reasons[0].factor).toMatch(/^signals_30d:/);
    expect(score.reasons[0].evidence.length).toBeGreaterThan(0);
  });

  it('trains on point-in-time snapshots and reports its quality on held-out profiles', async () => {
    const { trained, progress } = await train(churnSettings());
    expect(trained.status).toBe(ModelStatus.READY);
    expect(trained.progress).toBe(1);
    expect(progress.at(-1)).toBe(100);
    const m = trained.metrics as Record<string, any>;
    expect(m.rows).toBe(m.positives + m.negatives);
    expect(m.positives).toBeGreaterThan(20);
    expect(m.negatives).toBeGreaterThan(m.positives);
    expect(m.holdoutRows + m.trainingRows).toBe(m.rows);
    expect(m.holdout.rocAuc).toBeGreaterThan(0.7);
    expect(m.holdout.prAuc).toBeGreaterThan(m.holdout.positiveRate);
    expect(m.holdout.liftTopDecile).toBeGreaterThan(1.5);
    expect(m.holdout.logLoss).toBeGreaterThan(0);
    expect(m.holdout.calibration.length).toBeGreaterThan(1);
    expect(m.snapshots).toHaveLength(6);
    expect(trained.features).toEqual(expect.arrayContaining(['days_since_last_event', 'signals_30d:retry_loop', 'signals_30d:support_burst', 'events_30d:Feature Used']));
  });

  it('refuses to activate a model trained on too few examples of a class, with the counts', async () => {
    const { trained } = await train(churnSettings());
    const m = trained.metrics as { positives: number };
    const refusal = models().activate(trained.id, m.positives + 1);
    await expect(refusal).rejects.toThrow(AppError);
    await expect(models().activate(trained.id, m.positives + 1)).rejects.toThrow(new RegExp(`${m.positives} positive .* at least ${m.positives + 1} of each`));
    expect((await models().get(trained.id))!.active).toBe(false);
  });

  it('fails a training whose label never happens, with the reason, instead of retrying', async () => {
    const { trained } = await train(churnSettings({ label: { kind: 'event', event: 'Never Happens', withinDays: 30 } }));
    expect(trained.status).toBe(ModelStatus.FAILED);
    expect(trained.error).toMatch(/0 positive/);
    await expect(models().activate(trained.id, 1)).rejects.toThrow(/failed/);
  });

  it('marks a version FAILED when its training crashes on the last attempt, and leaves it to the retry before that', async () => {
    const requested = await models().requestTraining(ModelKind.LIFETIME, { calibrationEnd: new Date(NOW).toISOString(), timeUnit: 'fortnights', horizon: 52, discountRate: 0, purchaseEvent: 'Order Completed' });
    const job = (attemptsMade: number) => ({ id: requested.id, data: { tenantId: TENANT, modelId: requested.id }, attemptsMade, opts: { attempts: 2 } });
    await expect(trainModel(job(0), risk.deps)).rejects.toThrow(/timeUnit/);
    expect((await models().get(requested.id))!.status).toBe(ModelStatus.TRAINING);
    await expect(trainModel(job(1), risk.deps)).rejects.toThrow(/timeUnit/);
    const failed = (await models().get(requested.id))!;
    expect(failed.status).toBe(ModelStatus.FAILED);
    expect(failed.error).toMatch(/^training crashed: .*timeUnit/);
  });

  it('sees only its own tenant’s history', async () => {
    const { trained } = await train(churnSettings(), ModelKind.CHURN, 'other-tenant');
    expect(trained.status).toBe(ModelStatus.FAILED);
    expect(trained.error).toMatch(/no events/);
    const lifetime = { calibrationEnd: new Date(NOW).toISOString(), timeUnit: 'weeks', horizon: 52, discountRate: 0.002, purchaseEvent: 'Order Completed' };
    const { trained: fit } = await train(lifetime, ModelKind.LIFETIME, 'other-tenant');
    expect(fit.status).toBe(ModelStatus.FAILED);
    expect(fit.error).toMatch(/0 customers bought .* at least 10/);
  });

  it('scores with the active version once activated: the model’s probability, its version and its top factors', async () => {
    const { trained } = await train(churnSettings());
    const active = await models().activate(trained.id, 20);
    expect(active.active).toBe(true);
    expect((await models().list(ModelKind.CHURN)).filter((m) => m.active).map((m) => m.id)).toEqual([trained.id]);

    const { profileId } = await forkAcrossTenants(risk.deps.orm).findOneOrFail(ActivityEvent, { tenantId: TENANT, name: 'Subscription Cancelled' }, { orderBy: { timestamp: 'desc' } });
    const now = new Date(NOW);
    const score = await scoreProfile({ id: 's', data: { tenantId: TENANT, profileId, reason: 'test' } }, risk.deps, now);
    expect(score.modelId).toBe(trained.id);
    expect(score.modelVersion).toBe(trained.version);
    const params = trained.params as unknown as ChurnModelParams;
    const history = await new ActivityService(forkAcrossTenants(risk.deps.orm), TENANT).historyOf(profileId);
    expect(score.probability).toBeCloseTo(predictProbability(params.model, buildFeatures(history, now, params.featureOptions).values), 12);
    expect(score.reasons.length).toBeGreaterThan(0);
    expect(score.reasons.length).toBeLessThanOrEqual(5);
    for (const r of score.reasons) expect(trained.features.some((f) => f === r.factor || r.factor === f)).toBe(true);
    const sizes = score.reasons.map((r) => Math.abs(r.contribution));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  });
});

describe('segment membership for riskChanged(filter: { segmentIds })', () => {
  const ctx = useRiskSubgraph();

  it('follows entries and exits from the profiles stage, and puts the current segments on published changes', async () => {
    const profileId = uuid(10, 1);
    const membership = (segment: number, stay: number, change: 'entered' | 'exited', at: string): RecordActivityJob => ({
      kind: 'segment',
      tenantId: TENANT,
      profileId,
      segmentId: uuid(11, segment),
      segmentName: `segment ${segment}`,
      membershipId: uuid(12, stay),
      change,
      at,
    });
    for (const job of [membership(1, 1, 'entered', '2026-11-01T00:00:00Z'), membership(2, 2, 'entered', '2026-11-02T00:00:00Z'), membership(1, 1, 'exited', '2026-11-03T00:00:00Z')]) {
      await recordActivity({ id: 'seg', data: job }, ctx.risk.deps);
      await recordActivity({ id: 'seg-replay', data: job }, ctx.risk.deps); // replays change nothing
    }
    const service = riskServiceFor(ctx.risk.deps, forkAcrossTenants(ctx.risk.deps.orm), TENANT);
    expect(await service.segmentsOf(profileId)).toEqual([uuid(11, 2)]);
    const { change } = await service.record({ profileId, kind: 'churn', probability: 0.4, reasons: [], model: { id: null, version: null, name: 'prior' } });
    expect(change?.segmentIds).toEqual([uuid(11, 2)]);
  });
});

describe('profile merges', () => {
  const ctx = useRiskSubgraph();

  it('moves a merged profile’s history and scores to the survivor, and later activity of the old id follows', async () => {
    const [survivor, merged, mergedEarlier] = [uuid(13, 1), uuid(13, 2), uuid(13, 3)];
    const event = (profileId: string, n: number): RecordActivityJob => ({
      kind: 'event', tenantId: TENANT, profileId, eventId: uuid(14, n), type: 'track', name: 'Feature Used', timestamp: new Date(NOW - n * DAY).toISOString(), revenue: null, traits: {},
    });
    await recordActivity({ id: 'e1', data: event(survivor, 1) }, ctx.risk.deps);
    await recordActivity({ id: 'e2', data: event(merged, 2) }, ctx.risk.deps);
    await recordActivity({ id: 'e3', data: event(mergedEarlier, 3) }, ctx.risk.deps);
    await scoreProfile({ id: 's', data: { tenantId: TENANT, profileId: merged, reason: 'test' } }, ctx.risk.deps, new Date(NOW));
    // merges can arrive out of order: mergedEarlier → merged is learned after merged → survivor
    for (const job of [
      { kind: 'merge' as const, tenantId: TENANT, profileId: survivor, mergedProfileId: merged },
      { kind: 'merge' as const, tenantId: TENANT, profileId: merged, mergedProfileId: mergedEarlier },
    ]) {
      await recordActivity({ id: 'm', data: job }, ctx.risk.deps);
      await recordActivity({ id: 'm-replay', data: job }, ctx.risk.deps);
    }
    await recordActivity({ id: 'late', data: event(merged, 4) }, ctx.risk.deps); // a late event under the old id
    const history = await new ActivityService(forkAcrossTenants(ctx.risk.deps.orm), TENANT).historyOf(survivor);
    expect(history.events.map((e) => e.id).sort()).toEqual([uuid(14, 1), uuid(14, 2), uuid(14, 3), uuid(14, 4)].sort());
    expect(await forkAcrossTenants(ctx.risk.deps.orm).count(ActivityEvent, { tenantId: TENANT, profileId: { $in: [merged, mergedEarlier] } })).toBe(0);
    const scores = await riskServiceFor(ctx.risk.deps, forkAcrossTenants(ctx.risk.deps.orm), TENANT).historyFor(survivor, { kind: 'churn', first: 10 });
    expect(scores.length).toBeGreaterThan(0);
  });
});

describe('RiskService.record under concurrent scoring of one profile', () => {
  const ctx = useRiskSubgraph();

  const prior = { id: null, version: null, name: 'prior' };
  const service = () => riskServiceFor(ctx.risk.deps, forkAcrossTenants(ctx.risk.deps.orm), TENANT);

  it('stores and publishes one first score when five jobs score the same profile at once', async () => {
    const profileId = uuid(15, 1);
    const results = await Promise.all(Array.from({ length: 5 }, () => service().record({ profileId, kind: 'churn', probability: 0.42, reasons: [], model: prior })));
    expect(results.filter((r) => r.change !== null)).toHaveLength(1);
    expect(new Set(results.map((r) => r.score.id)).size).toBe(1);
    expect(await service().historyFor(profileId, { kind: 'churn', first: 10 })).toHaveLength(1);
  });

  it('chains different concurrent scores one after another instead of forking the history', async () => {
    const profileId = uuid(15, 2);
    await Promise.all([0.2, 0.5, 0.8].map((probability) => service().record({ profileId, kind: 'churn', probability, reasons: [], model: prior })));
    const rows = await forkAcrossTenants(ctx.risk.deps.orm).find(RiskScore, { tenantId: TENANT, profileId }, { orderBy: { scoredAt: 'asc', id: 'asc' } });
    expect(rows).toHaveLength(3);
    expect(new Set(rows.map((r) => r.follows)).size).toBe(3);
    expect(rows.filter((r) => r.follows!.startsWith('first-'))).toHaveLength(1);
  });
});

describe('rescoreProfiles (the schedule) and journey snapshots from signals', () => {
  let env: TestEnv;
  let risk: RunningSubgraph;
  let scoreQueue: Queue<JobPayloads[typeof SCORE_PROFILE]>;

  beforeAll(async () => {
    // activity queues its score (drained below) rather than scoring at the wall clock in the job
    env = await createTestEnv({ RISK_RESCORE_AFTER_MS: String(DAY), RISK_RESCORE_INTERVAL_MS: '3600000', RISK_SCORE_DEBOUNCE_MS: '60000' });
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
    scoreQueue = new Queue(SCORE_PROFILE, queueOptions(risk.deps.redis, env.config.queuePrefix));
  });
  afterAll(async () => {
    await scoreQueue?.close();
    await risk?.close();
    await env?.cleanup();
  });

  const event = (profileId: string, n: number): RecordActivityJob => ({
    kind: 'event', tenantId: TENANT, profileId, eventId: uuid(17, n), type: 'track', name: 'Feature Used', timestamp: new Date(NOW - DAY).toISOString(), revenue: null, traits: {},
  });

  it('queues the profiles whose score has aged (or that were never scored), once per tick', async () => {
    const [fresh, stale, never] = [uuid(16, 1), uuid(16, 2), uuid(16, 3)];
    for (const [i, p] of [fresh, stale, never].entries()) await recordActivity({ id: `e${i}`, data: event(p, i) }, risk.deps);
    await scoreQueue.drain(true);
    const service = riskServiceFor(risk.deps, forkAcrossTenants(risk.deps.orm), TENANT);
    const prior = { id: null, version: null, name: 'prior' };
    await service.record({ profileId: fresh, kind: 'churn', probability: 0.3, reasons: [], model: prior, scoredAt: new Date(NOW - DAY / 2) });
    await service.record({ profileId: stale, kind: 'churn', probability: 0.3, reasons: [], model: prior, scoredAt: new Date(NOW - 3 * DAY) });

    expect(await rescoreProfiles(null, risk.deps, new Date(NOW))).toBe(2);
    expect(await rescoreProfiles(null, risk.deps, new Date(NOW + 1000))).toBe(2); // same tick: the same job ids
    const queued = (await scoreQueue.getJobs(['waiting', 'delayed'])).flatMap((j) => j.data.profileIds ?? [j.data.profileId]).sort();
    expect(queued).toEqual([stale, never].sort());
  });

  it('stores each journey snapshot once and scores the profile’s open journey from it', async () => {
    const profileId = uuid(16, 9);
    const snapshot: RecordActivityJob = {
      kind: 'journey', tenantId: TENANT, profileId, instanceId: uuid(18, 1), journeyId: uuid(18, 2), journeyName: 'Onboarding', state: 'active',
      stepIndex: 1, stepCount: 3, step: 'details', stepReachedAt: new Date(NOW - 3_600_000).toISOString(), stepSlaMs: 600_000,
      startedAt: new Date(NOW - 4_000_000).toISOString(), retries: 0, endedAt: null, observedAt: new Date(NOW - 3_600_000).toISOString(),
    };
    await recordActivity({ id: 'j', data: snapshot }, risk.deps);
    await recordActivity({ id: 'j-replay', data: snapshot }, risk.deps);
    await recordActivity({ id: 'je', data: event(profileId, 9) }, risk.deps);
    expect(await forkAcrossTenants(risk.deps.orm).count(JourneySnapshot, { tenantId: TENANT, instanceId: snapshot.instanceId })).toBe(1);
    await scoreProfile({ id: 's', data: { tenantId: TENANT, profileId, reason: 'test' } }, risk.deps, new Date(NOW));
    const dropOff = (await riskServiceFor(risk.deps, forkAcrossTenants(risk.deps.orm), TENANT).latestDropOff([snapshot.instanceId])).get(snapshot.instanceId);
    expect(dropOff?.modelName).toBe('prior');
    // an hour at a step whose SLA is 10 minutes: stalled, so above the base rate
    expect(dropOff!.reasons.map((r) => r.factor)).toContain('stalled');
  });
});
