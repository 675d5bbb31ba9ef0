import { HANDED_ON_MARGIN_MS, HandedOnWatermark } from '../../../subgraphs/common/handed-on-watermark';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { ingestGuardFor } from '../../../subgraphs/signals/services/ingest-guard.service';
import { IngestService } from '../../../subgraphs/signals/services/ingest.service';
import { eventResolved } from '../../../subgraphs/signals/workers/event-resolved.worker';
import { sweepEvents } from '../../../subgraphs/signals/workers/sweep-events.worker';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

/**
 * The handed-on watermark signals publishes for risk's trainings: the sweeper derives every
 * tenant's from the events table, an event-resolved batch raises its tenant's, and a Redis that
 * lost it is told again at the next sweep.
 */
describe('handed-on watermark', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  const watermark = () => new HandedOnWatermark(signals.deps.redis, env.config.queuePrefix);
  const ingest = (tenantId: string, count: number, receivedAt: Date) =>
    new IngestService(forkAcrossTenants(signals.deps.orm), { tenantId, keyId: 'k', scopes: ['events:write'] }, signals.deps, ingestGuardFor(signals.deps)).ingest(
      Array.from({ length: count }, (_, i) => ({ type: 'track', event: 'Viewed', anonymousId: `a-${i}`, messageId: `${tenantId}-${receivedAt.getTime()}-${i}` })),
      { receivedAt },
    );

  beforeAll(async () => {
    env = await createTestEnv();
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
  });
  afterAll(async () => {
    await signals?.close();
    await env?.cleanup();
  });

  it('is unknown until published, then stops at the oldest event not handed on, and passes it once the batch is handed on', async () => {
    expect(await watermark().read('behind')).toBeNull();
    const receivedAt = new Date(Date.now() - 30_000);
    await ingest('behind', 3, receivedAt);

    const sweptAt = Date.now();
    await sweepEvents(signals.deps);
    expect(await watermark().read('behind')).toBe(receivedAt.getTime());
    // a tenant with nothing pending is handed on up to the sweep (less the margin)
    expect(await watermark().read('idle')).toBeGreaterThanOrEqual(sweptAt - HANDED_ON_MARGIN_MS);

    const events = await forkAcrossTenants(signals.deps.orm).find(Event, { tenantId: 'behind' });
    const before = Date.now();
    await eventResolved({ id: 'test', data: { tenantId: 'behind', events: events.map((e) => ({ eventId: e.id, profileId: null })) } }, signals.deps);
    expect(await watermark().read('behind')).toBeGreaterThanOrEqual(before - HANDED_ON_MARGIN_MS);
  });

  it('is told again by the next sweep after Redis lost it', async () => {
    const receivedAt = new Date(Date.now() - 10_000);
    await ingest('flushed', 2, receivedAt);
    await sweepEvents(signals.deps);
    const prefix = `{${env.config.queuePrefix}}`;
    await signals.deps.redis.del(`${prefix}:handed-on-sweep`, `${prefix}:handed-on:flushed`);
    expect(await watermark().read('flushed')).toBeNull();
    await sweepEvents(signals.deps);
    expect(await watermark().read('flushed')).toBe(receivedAt.getTime());
  });
});
