import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { riskSubgraph } from '../../../subgraphs/risk';
import { JourneySnapshot } from '../../../subgraphs/risk/entities/journey-snapshot.entity';
import { ModelKind, ModelStatus } from '../../../subgraphs/risk/entities/model-version.entity';
import { RiskScore } from '../../../subgraphs/risk/entities/risk-score.entity';
import { ModelService } from '../../../subgraphs/risk/services/model.service';
import { scoreProfile } from '../../../subgraphs/risk/workers/score-profile.worker';
import { trainModel } from '../../../subgraphs/risk/workers/train-model.worker';
import { syntheticId } from '../../fixtures/synthetic-tenant';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const MIN = 60_000;
const NOW = Date.parse('2026-11-20T12:00:00Z');
const TENANT = 'bank';
const JOURNEY = syntheticId(20, 1);
const STEPS = ['start', 'details', 'id_upload', 'opened'];

/**
 * 300 finished account openings: each step takes a few minutes; instances that will be abandoned
 * linger at a step and retry. One row per (instance, state, step), as signals sends them.
 */
function simulateInstances(count: number): Partial<JourneySnapshot>[] {
  let seed = 7;
  const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
  const rows: Partial<JourneySnapshot>[] = [];
  for (let n = 0; n < count; n++) {
    const instanceId = syntheticId(21, n);
    const profileId = syntheticId(22, n);
    const abandons = random() < 0.3;
    const lastStep = abandons ? Math.floor(random() * 3) : 3;
    const startedAt = NOW - 30 * 24 * 60 * MIN + n * 60 * MIN;
    let t = startedAt;
    let retries = 0;
    const base = { tenantId: TENANT, profileId, instanceId, journeyId: JOURNEY, journeyName: 'Account opening', stepCount: 4, stepSlaMs: 30 * MIN, startedAt: new Date(startedAt) };
    for (let step = 0; step <= lastStep; step++) {
      rows.push({ ...base, state: 'active', stepIndex: step, step: STEPS[step], stepReachedAt: new Date(t), retries, endedAt: null, observedAt: new Date(t) });
      if (step === lastStep) break;
      t += (2 + random() * 6) * MIN;
      if (random() < 0.1) retries++;
    }
    if (abandons) {
      retries += random() < 0.6 ? 2 : 0;
      const end = t + (40 + random() * 120) * MIN; // lingered past the SLA
      rows.push({ ...base, state: 'abandoned', stepIndex: lastStep, step: STEPS[lastStep], stepReachedAt: new Date(t), retries, endedAt: new Date(end), observedAt: new Date(end) });
    } else {
      rows.push({ ...base, state: 'completed', stepIndex: 3, step: 'opened', stepReachedAt: new Date(t), retries, endedAt: new Date(t), observedAt: new Date(t) });
    }
  }
  return rows;
}

describe('drop-off model: journey snapshots → train → activate → score open journeys', () => {
  let env: TestEnv;
  let risk: RunningSubgraph;
  const models = () => new ModelService(forkAcrossTenants(risk.deps.orm), TENANT, risk.deps.queues);

  beforeAll(async () => {
    env = await createTestEnv();
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
    const em = forkAcrossTenants(risk.deps.orm);
    await em.insertMany(JourneySnapshot, simulateInstances(300).map((r) => em.create(JourneySnapshot, r as JourneySnapshot)));
  }, 120_000);
  afterAll(async () => {
    await risk?.close();
    await env?.cleanup();
  });

  /** An open instance at the ID upload for 50 minutes, after two retries. */
  const openInstance = async (profileId: string, n: number) => {
    const em = forkAcrossTenants(risk.deps.orm);
    const instanceId = syntheticId(23, n);
    const at = NOW - 50 * MIN;
    em.create(JourneySnapshot, {
      tenantId: TENANT, profileId, instanceId, journeyId: JOURNEY, journeyName: 'Account opening', state: 'active', stepIndex: 2, stepCount: 4, step: 'id_upload',
      stepReachedAt: new Date(at), stepSlaMs: 30 * MIN, startedAt: new Date(at - 10 * MIN), retries: 2, endedAt: null, observedAt: new Date(at),
    });
    await em.flush();
    return instanceId;
  };

  it('scores an open journey with the documented prior before a model exists', async () => {
    const profileId = syntheticId(24, 1);
    const instanceId = await openInstance(profileId, 1);
    await scoreProfile({ id: 'p', data: { tenantId: TENANT, profileId, reason: 'test' } }, risk.deps, new Date(NOW));
    const score = await forkAcrossTenants(risk.deps.orm).findOneOrFail(RiskScore, { tenantId: TENANT, kind: 'drop_off', journeyInstanceId: instanceId });
    expect(score.modelName).toBe('prior');
    expect(score.probability).toBeGreaterThan(0.15);
    expect(score.reasons.map((r) => r.factor)).toEqual(expect.arrayContaining(['retries', 'stalled']));
  });

  it('trains on finished instances, reports held-out quality, and scores open ones with it once active', async () => {
    const requested = await models().requestTraining(ModelKind.DROP_OFF, { holdoutFraction: 0.3, l2: 1 });
    const trained = await trainModel({ id: requested.id, data: { tenantId: TENANT, modelId: requested.id } }, risk.deps);
    expect(trained.status).toBe(ModelStatus.READY);
    const m = trained.metrics as Record<string, any>;
    expect(m.instances).toBe(300);
    expect(m.positives).toBeGreaterThan(20);
    expect(m.holdout.rocAuc).toBeGreaterThan(0.8);
    await models().activate(trained.id, 20);

    const profileId = syntheticId(24, 2);
    const instanceId = await openInstance(profileId, 2);
    await scoreProfile({ id: 'q', data: { tenantId: TENANT, profileId, reason: 'test' } }, risk.deps, new Date(NOW));
    const scores = await forkAcrossTenants(risk.deps.orm).find(RiskScore, { tenantId: TENANT, kind: 'drop_off', journeyInstanceId: instanceId });
    expect(scores).toHaveLength(1);
    expect(scores[0]).toMatchObject({ modelId: trained.id, modelVersion: trained.version, modelName: 'drop_off' });
    expect(scores[0].probability).toBeGreaterThan(0.5); // lingering past the SLA after retries: like the abandoned ones
    expect(trained.features).toContain(scores[0].reasons[0].factor);
  });
});
