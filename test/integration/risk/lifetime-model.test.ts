import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { riskSubgraph } from '../../../subgraphs/risk';
import { ActivityEvent } from '../../../subgraphs/risk/entities/activity-event.entity';
import { ModelKind, ModelStatus } from '../../../subgraphs/risk/entities/model-version.entity';
import { ModelService } from '../../../subgraphs/risk/services/model.service';
import { scoreProfile } from '../../../subgraphs/risk/workers/score-profile.worker';
import { trainModel } from '../../../subgraphs/risk/workers/train-model.worker';
import { syntheticId } from '../../fixtures/synthetic-tenant';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

/** The CDNOW sample of Fader, Hardie & Lee (2005): 2,357 customers' purchases, Jan 1997 – Jun 1998. */
const SAMPLE = join(__dirname, '..', '..', '..', 'data', 'cdnow', 'CDNOW_sample.txt');
const TENANT = 'cdnow';

function readSample(): { customer: number; at: Date; amount: number }[] {
  return readFileSync(SAMPLE, 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((line) => {
      const [, sampleId, date, , dollars] = line.trim().split(/\s+/);
      return { customer: Number(sampleId), at: new Date(Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8))), amount: Number(dollars) };
    });
}

describe('lifetime model on CDNOW, through the platform (events → fit job → scores)', () => {
  let env: TestEnv;
  let risk: RunningSubgraph;
  const models = () => new ModelService(forkAcrossTenants(risk.deps.orm), TENANT, risk.deps.queues);

  beforeAll(async () => {
    env = await createTestEnv();
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
    const em = forkAcrossTenants(risk.deps.orm);
    const rows = readSample().map((t, i) =>
      em.create(ActivityEvent, {
        tenantId: TENANT,
        profileId: syntheticId(5, t.customer),
        eventId: syntheticId(6, i),
        type: 'track',
        name: 'Order Completed',
        timestamp: t.at,
        revenue: t.amount,
        traits: {},
      }),
    );
    for (let i = 0; i < rows.length; i += 2000) await em.insertMany(ActivityEvent, rows.slice(i, i + 2000));
  }, 120_000);
  afterAll(async () => {
    await risk?.close();
    await env?.cleanup();
  });

  const fit = async () => {
    const requested = await models().requestTraining(ModelKind.LIFETIME, {
      calibrationEnd: '1997-09-30T00:00:00Z', // weeks 1–39 (T of a 1 Jan buyer = 38.86)
      timeUnit: 'weeks',
      horizon: 52,
      discountRate: 0.002,
      purchaseEvent: 'Order Completed',
    });
    return trainModel({ id: requested.id, data: { tenantId: TENANT, modelId: requested.id } }, risk.deps);
  };

  it('reproduces the published BG/NBD and Gamma-Gamma estimates, and checks the forecast on the later weeks', async () => {
    const model = await fit();
    expect(model.status).toBe(ModelStatus.READY);
    const m = model.metrics as Record<string, any>;
    expect(m.customers).toBe(2357);
    expect(m.repeatBuyers).toBe(946);
    const { r, alpha, a, b, logLikelihood } = m.bgNbd;
    expect(Math.abs(r - 0.243)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(alpha - 4.414)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(a - 0.793)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(b - 2.426)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(logLikelihood - -9582.43)).toBeLessThanOrEqual(0.05);
    const gg = m.gammaGamma;
    expect(Math.abs(gg.p - 6.25)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(gg.q - 3.74)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(gg.gamma - 15.44)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(gg.logLikelihood - -4055.92)).toBeLessThanOrEqual(0.05);
    // weeks 40–78: the model's expected repeat purchases against what the customers did (1,882
    // purchase days); BG/NBD is known to under-forecast CDNOW's later weeks by about a tenth
    const { expectedRepeatPurchases, actualRepeatPurchases, periodLength } = m.holdout;
    expect(periodLength).toBeCloseTo(39, 0);
    expect(actualRepeatPurchases).toBe(1882);
    expect(Math.abs(expectedRepeatPurchases - actualRepeatPurchases) / actualRepeatPurchases).toBeLessThan(0.15);
  }, 120_000);

  it('gives active profiles P(alive), CLV and revenue at risk (churn × CLV) once activated', async () => {
    const model = await fit();
    await models().activate(model.id, 20);
    const now = new Date('1997-10-01T00:00:00Z');
    // customer 1 of the sample: x = 2, t_x = 30.43, T = 38.86 weeks (the paper's worked example)
    const score = await scoreProfile({ id: 's', data: { tenantId: TENANT, profileId: syntheticId(5, 1), reason: 'test' } }, risk.deps, now);
    expect(score.pAlive).toBeGreaterThan(0.5);
    expect(score.pAlive).toBeLessThan(1);
    expect(score.clv).toBeGreaterThan(0);
    expect(score.revenueAtRisk).toBeCloseTo(Math.round(score.probability * score.clv! * 100) / 100, 1);
    // a one-time buyer long ago: P(alive) is 1 under BG/NBD (no repeat purchase to drop out after)
    const oneTimer = await forkAcrossTenants(risk.deps.orm).findOneOrFail(ActivityEvent, { tenantId: TENANT, timestamp: { $lt: new Date('1997-01-05') } }, { orderBy: { profileId: 'desc' } });
    const single = await scoreProfile({ id: 's2', data: { tenantId: TENANT, profileId: oneTimer.profileId, reason: 'test' } }, risk.deps, now);
    expect(single.pAlive).not.toBeNull();
  }, 120_000);
});
