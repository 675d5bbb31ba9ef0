import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { HandedOnWatermark } from '../../../subgraphs/common/handed-on-watermark';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { riskSubgraph } from '../../../subgraphs/risk';
import { ActivityEvent } from '../../../subgraphs/risk/entities/activity-event.entity';
import { ModelKind, ModelStatus, ModelVersion } from '../../../subgraphs/risk/entities/model-version.entity';
import { ModelService } from '../../../subgraphs/risk/services/model.service';
import { syntheticId } from '../../fixtures/synthetic-tenant';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

/** The CDNOW sample (2,357 customers' purchases), as in the lifetime-model test. */
const SAMPLE = join(__dirname, '..', '..', '..', 'data', 'cdnow', 'CDNOW_sample.txt');
const TENANT = 'waits-for-data';

function readSample(): { customer: number; at: Date; amount: number }[] {
  return readFileSync(SAMPLE, 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((line) => {
      const [, sampleId, date, , dollars] = line.trim().split(/\s+/);
      return { customer: Number(sampleId), at: new Date(Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8))), amount: Number(dollars) };
    });
}

/**
 * A fit asked for while half of the history is still on its way to risk: the train-model worker
 * (real Redis, real database) keeps the version WAITING_FOR_DATA until the signals stage's
 * handed-on watermark passes the request, then fits on every customer. The watermark is written
 * here as signals writes it (`HandedOnWatermark`); the signals side is covered by its own tests.
 */
describe('training waits for the events sent before it', () => {
  let env: TestEnv;
  let risk: RunningSubgraph;

  beforeAll(async () => {
    env = await createTestEnv({ RISK_TRAINING_POLL_MS: '100' });
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0 });
  }, 120_000);
  afterAll(async () => {
    await risk?.close();
    await env?.cleanup();
  });

  const store = async (purchases: { customer: number; at: Date; amount: number; index: number }[]) => {
    const em = forkAcrossTenants(risk.deps.orm);
    const rows = purchases.map((t) =>
      em.create(ActivityEvent, {
        tenantId: TENANT,
        profileId: syntheticId(5, t.customer),
        eventId: syntheticId(6, t.index),
        type: 'track',
        name: 'Order Completed',
        timestamp: t.at,
        revenue: t.amount,
        traits: {},
      }),
    );
    for (let i = 0; i < rows.length; i += 2000) await em.insertMany(ActivityEvent, rows.slice(i, i + 2000));
  };
  const version = (id: string) => forkAcrossTenants(risk.deps.orm).findOneOrFail(ModelVersion, { tenantId: TENANT, id }, { refresh: true });

  it('stays WAITING_FOR_DATA while events received before the request have not reached risk, then fits on every customer', async () => {
    const sample = readSample().map((t, index) => ({ ...t, index }));
    const early = sample.filter((t) => t.customer <= 800);
    const late = sample.filter((t) => t.customer > 800);
    await store(early);
    const watermark = new HandedOnWatermark(risk.deps.redis, env.config.queuePrefix);
    // signals has handed on only what it received up to a minute ago
    await watermark.raise(TENANT, Date.now() - 60_000);

    const requested = await new ModelService(forkAcrossTenants(risk.deps.orm), TENANT, risk.deps.queues).requestTraining(ModelKind.LIFETIME, {
      calibrationEnd: '1997-09-30T00:00:00Z',
      timeUnit: 'weeks',
      horizon: 52,
      discountRate: 0.002,
      purchaseEvent: 'Order Completed',
    });
    await waitFor(async () => (await version(requested.id)).status === ModelStatus.WAITING_FOR_DATA);
    const waiting = await version(requested.id);
    expect((waiting.metrics as { waitingForData: { reasons: string[] } }).waitingForData.reasons.join(' ')).toMatch(/have not reached risk/);
    expect(waiting.trainedAt).toBeNull();
    expect(waiting.statusReason).toMatch(/^waiting for the events sent before the request to reach risk/);

    // the rest arrives, then signals reports everything handed on
    await store(late);
    await watermark.raise(TENANT, Date.now());
    await waitFor(async () => (await version(requested.id)).status === ModelStatus.READY, 60_000);

    const model = await version(requested.id);
    expect(model.statusReason).toBeNull();
    const metrics = model.metrics as Record<string, any>;
    expect(metrics.customersUsed).toBe(2357);
    expect(metrics.eventsUsed).toBe(sample.length);
    expect(metrics.dataWait).toMatchObject({ caughtUp: true, reasons: [] });
    expect(metrics.dataWait.waitedMs).toBeGreaterThan(0);
  }, 120_000);
});
