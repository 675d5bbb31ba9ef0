import { Queue } from 'bullmq';

import { AppError } from '../../../subgraphs/common/errors';
import { queueOptions, SCORE_PROFILE, type JobPayloads, type RecordActivityJob } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { riskSubgraph } from '../../../subgraphs/risk';
import { buildFeatures } from '../../../subgraphs/risk/domain/churn/features';
import { predictProbability } from '../../../subgraphs/risk/domain/churn/logistic-regression';
import { ActivityEvent } from '../../../subgraphs/risk/entities/activity-event.entity';
import { ActivitySignal } from '../../../subgraphs/risk/entities/activity-signal.entity';
import { ModelKind, ModelStatus } from '../../../subgraphs/risk/entities/model-version.entity';
import { ActivityService } from '../../../subgraphs/risk/services/activity.service';
import { ModelService } from '../../../subgraphs/risk/services/model.service';
import type { ChurnTrainingSettings } from '../../../subgraphs/risk/services/model-training.service';
import type { ChurnModelParams } from '../../../subgraphs/risk/services/scoring.service';
import { recordActivity } from '../../../subgraphs/risk/workers/record-activity.worker';
import { scoreProfile } from '../../../subgraphs/risk/workers/score-profile.worker';
import { trainModel } from '../../../subgraphs/risk/workers/train-model.worker';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-01T00:00:00Z');
const TENANT = 'acme';

/** mulberry32: the same synthetic tenant on every run. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const uuid = (kind: number, n: number) => `01a21226-${String(kind).padStart(4, '0')}-7000-8000-${String(n).padStart(12, '0')}`;

/**
 * A subscription business over 180 days: a third of the customers cancel at some point, and in the
 * weeks before they do they use the product less and hit friction (retry loops, support bursts).
 */
function simulateTenant(profiles: number) {
  const random = rng(42);
  const events: Partial<ActivityEvent>[] = [];
  const signals: Partial<ActivitySignal>[] = [];
  let eventSeq = 0;
  let signalSeq = 0;
  for (let p = 0; p < profiles; p++) {
    const profileId = uuid(1, p);
    const start = NOW - (150 + random() * 30) * DAY;
    const cancelAt = random() < 0.35 ? NOW - (5 + random() * 120) * DAY : Infinity;
    const rate = 0.25 + random() * 0.5; // events a day
    for (let t = start; t < Math.min(NOW, cancelAt); t += (-Math.log(1 - random()) / rate) * DAY) {
      const slowing = cancelAt - t < 25 * DAY;
      if (slowing && random() < 0.6) continue; // churners fade out
      events.push({ tenantId: TENANT, profileId, eventId: uuid(2, ++eventSeq), type: 'track', name: random() < 0.1 ? 'Order Completed' : 'Feature Used', timestamp: new Date(t), revenue: 20, traits: {} });
    }
    if (cancelAt < NOW) {
      events.push({ tenantId: TENANT, profileId, eventId: uuid(2, ++eventSeq), type: 'track', name: 'Subscription Cancelled', timestamp: new Date(cancelAt), revenue: null, traits: {} });
      const frictions = 1 + Math.floor(random() * 3);
      for (let i = 0; i < frictions; i++) {
        const type = random() < 0.5 ? 'retry_loop' : 'support_burst';
        signals.push({ tenantId: TENANT, profileId, signalId: uuid(3, ++signalSeq), type, severity: 0.5 + random() * 0.5, detectedAt: new Date(cancelAt - random() * 20 * DAY), summary: `${type} before cancelling` });
      }
    } else if (random() < 0.15) {
      // some loyal customers hit friction too, so signals alone do not give churn away
      signals.push({ tenantId: TENANT, profileId, signalId: uuid(3, ++signalSeq), type: 'retry_loop', severity: 0.6, detectedAt: new Date(NOW - random() * 100 * DAY), summary: '3 failed uploads in 10 min' });
    }
  }
  return { events, signals };
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
    const { events, signals } = simulateTenant(400);
    const em = risk.deps.orm.em.fork();
    for (let i = 0; i < events.length; i += 2000) await em.insertMany(ActivityEvent, events.slice(i, i + 2000).map((e) => em.create(ActivityEvent, e as ActivityEvent)));
    await em.insertMany(ActivitySignal, signals.map((s) => em.create(ActivitySignal, s as ActivitySignal)));
  }, 120_000);
  afterAll(async () => {
    await scoreQueue?.close();
    await risk?.close();
    await env?.cleanup();
  });

  const models = () => new ModelService(risk.deps.orm.em.fork(), TENANT, risk.deps.queues);
  const train = async (settings: Record<string, unknown>, kind = ModelKind.CHURN, tenantId = TENANT) => {
    const requested = await new ModelService(risk.deps.orm.em.fork(), tenantId, risk.deps.queues).requestTraining(kind, settings);
    const progress: number[] = [];
    const trained = await trainModel({ id: requested.id, data: { tenantId, modelId: requested.id }, updateProgress: async (p: number | object) => void progress.push(p as number) }, risk.deps);
    return { requested, trained, progress };
  };

  it('records each observation once however often its job replays, and asks for one debounced score', async () => {
    const profileId = uuid(9, 1);
    const job: RecordActivityJob = { kind: 'event', tenantId: TENANT, profileId, eventId: uuid(9, 2), type: 'track', name: 'Feature Used', timestamp: new Date(NOW).toISOString(), revenue: null, traits: {} };
    for (let i = 0; i < 3; i++) await recordActivity({ id: `job-${i}`, data: job }, risk.deps);
    expect(await risk.deps.orm.em.fork().count(ActivityEvent, { tenantId: TENANT, eventId: job.eventId })).toBe(1);
    const jobs = (await scoreQueue.getJobs(['delayed', 'waiting'])).filter((j) => j.data.profileId === profileId);
    expect(jobs).toHaveLength(1);
    expect(jobs[0].data).toEqual({ tenantId: TENANT, profileId, reason: 'activity:event' });
  });

  it('scores with the documented prior before the tenant has a model, with signals as reasons', async () => {
    const signalled = (await risk.deps.orm.em.fork().findOneOrFail(ActivitySignal, { tenantId: TENANT, type: 'retry_loop' }, { orderBy: { detectedAt: 'desc' } })).profileId;
    const at = new Date((await risk.deps.orm.em.fork().findOneOrFail(ActivitySignal, { tenantId: TENANT, profileId: signalled }, { orderBy: { detectedAt: 'desc' } })).detectedAt.getTime() + DAY);
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
    expect(m.holdout.rocAuc).toBeGreaterThan(0.75);
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

  it('sees only its own tenant’s history', async () => {
    const { trained } = await train(churnSettings(), ModelKind.CHURN, 'other-tenant');
    expect(trained.status).toBe(ModelStatus.FAILED);
    expect(trained.error).toMatch(/no events/);
  });

  it('scores with the active version once activated: the model’s probability, its version and its top factors', async () => {
    const { trained } = await train(churnSettings());
    const active = await models().activate(trained.id, 20);
    expect(active.active).toBe(true);
    expect((await models().list(ModelKind.CHURN)).filter((m) => m.active).map((m) => m.id)).toEqual([trained.id]);

    const profileId = uuid(1, 7);
    const now = new Date(NOW);
    const score = await scoreProfile({ id: 's', data: { tenantId: TENANT, profileId, reason: 'test' } }, risk.deps, now);
    expect(score.modelId).toBe(trained.id);
    expect(score.modelVersion).toBe(trained.version);
    const params = trained.params as unknown as ChurnModelParams;
    const history = await new ActivityService(risk.deps.orm.em.fork(), TENANT).historyOf(profileId);
    expect(score.probability).toBeCloseTo(predictProbability(params.model, buildFeatures(history, now, params.featureOptions).values), 12);
    expect(score.reasons.length).toBeGreaterThan(0);
    expect(score.reasons.length).toBeLessThanOrEqual(5);
    for (const r of score.reasons) expect(trained.features.some((f) => f === r.factor || r.factor === f)).toBe(true);
    const sizes = score.reasons.map((r) => Math.abs(r.contribution));
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  });
});
