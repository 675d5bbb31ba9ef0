import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { riskSubgraph } from '../../../subgraphs/risk';
import type { ModelQuality } from '../../../subgraphs/risk/domain/churn/model-quality';
import { ActivityEvent } from '../../../subgraphs/risk/entities/activity-event.entity';
import { ModelKind, ModelStatus } from '../../../subgraphs/risk/entities/model-version.entity';
import { ModelService } from '../../../subgraphs/risk/services/model.service';
import { trainModel } from '../../../subgraphs/risk/workers/train-model.worker';
import { seedSyntheticTenant, syntheticId } from '../../fixtures/synthetic-tenant';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-01T00:00:00Z');

const settings = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  label: { kind: 'event', event: 'Subscription Cancelled', withinDays: 30 },
  events: ['Feature Used'],
  traits: [],
  signalTypes: [],
  purchaseEvent: 'Order Completed',
  snapshotDates: [new Date(NOW - 120 * DAY).toISOString()],
  snapshotEveryDays: 14,
  snapshotCount: 1,
  holdoutFraction: 0.3,
  l2: 1,
  ...overrides,
});

/**
 * Customers who all behave alike up to the snapshot (a `Feature Used` every 3 days), half of whom
 * cancel 20 days after it, chosen by their number's parity: nothing before the snapshot can tell
 * the two halves apart.
 */
async function seedIndistinguishable(risk: RunningSubgraph, tenantId: string, customers: number): Promise<void> {
  const em = forkAcrossTenants(risk.deps.orm);
  for (let c = 0; c < customers; c++) {
    const profileId = syntheticId(20, c);
    let n = 0;
    for (let d = 180; d >= 123; d -= 3) {
      em.create(ActivityEvent, { tenantId, profileId, eventId: syntheticId(21, c * 100 + n++), type: 'track', name: 'Feature Used', timestamp: new Date(NOW - d * DAY), revenue: null, traits: {} });
    }
    if (c % 2 === 0) {
      em.create(ActivityEvent, { tenantId, profileId, eventId: syntheticId(21, c * 100 + 99), type: 'track', name: 'Subscription Cancelled', timestamp: new Date(NOW - 100 * DAY), revenue: null, traits: {} });
    }
    // everyone is seen again later, so the label window after the snapshot is observed in full
    em.create(ActivityEvent, { tenantId, profileId, eventId: syntheticId(21, c * 100 + 98), type: 'track', name: 'Page Viewed', timestamp: new Date(NOW - 50 * DAY), revenue: null, traits: {} });
  }
  await em.flush();
}

describe('model quality: a classifier that learned nothing', () => {
  let env: TestEnv;
  let risk: RunningSubgraph;

  beforeAll(async () => {
    env = await createTestEnv();
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
    await seedSyntheticTenant(forkAcrossTenants(risk.deps.orm), 'signal', 400, NOW);
    await seedIndistinguishable(risk, 'noise', 200);
  }, 120_000);
  afterAll(async () => {
    await risk?.close();
    await env?.cleanup();
  });

  const models = (tenantId: string) => new ModelService(forkAcrossTenants(risk.deps.orm), tenantId, risk.deps.queues);
  const train = async (tenantId: string, overrides: Record<string, unknown> = {}) => {
    const requested = await models(tenantId).requestTraining(ModelKind.CHURN, settings(overrides));
    return trainModel({ id: requested.id, data: { tenantId, modelId: requested.id } }, risk.deps);
  };

  it('is reported as not informative, with the reasons, and cannot be activated without force', async () => {
    const trained = await train('noise');
    expect({ status: trained.status, error: trained.error }).toEqual({ status: ModelStatus.READY, error: null });
    const quality = (trained.metrics as { quality: ModelQuality }).quality;
    expect(quality.informative).toBe(false);
    expect(quality.reasons.join(' ')).toMatch(/every coefficient is zero/);
    await expect(models('noise').activate(trained.id, 1)).rejects.toThrow(/learned nothing: .*every coefficient is zero.*force: true/);
    expect((await models('noise').get(trained.id))!.active).toBe(false);
    const forced = await models('noise').activate(trained.id, 1, true);
    expect(forced.active).toBe(true);
  });

  it('reports a model trained on behaviour that predicts the label as informative, and activates it', async () => {
    const trained = await train('signal', { signalTypes: null, snapshotDates: null, snapshotCount: 6 });
    const quality = (trained.metrics as { quality: ModelQuality }).quality;
    expect(quality).toEqual({ informative: true, reasons: [] });
    expect((await models('signal').activate(trained.id, 1)).active).toBe(true);
  });
});
