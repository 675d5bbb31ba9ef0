import { AppError } from '../../../subgraphs/common/errors';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { meterFinishedJobs } from '../../../subgraphs/common/stage-meter';
import { forkAcrossTenants, forkForTenant } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { InFlightEvents } from '../../../subgraphs/signals/services/in-flight-events.service';
import { IngestGuard } from '../../../subgraphs/signals/services/ingest-guard.service';
import { IngestService } from '../../../subgraphs/signals/services/ingest.service';
import { activityRecorded } from '../../../subgraphs/signals/workers/activity-recorded.worker';
import { sweepEvents } from '../../../subgraphs/signals/workers/sweep-events.worker';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const track = (messageId: string) => ({ type: 'track', event: 'Clicked', userId: `u-${messageId}`, messageId });
const batchOf = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => track(`${prefix}-${i}`));

describe('admission by lag (IngestGuard, InFlightEvents; real Redis and SQL)', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  let guard: IngestGuard;
  let inFlight: InFlightEvents;
  const receivedAt = new Date();

  beforeAll(async () => {
    env = await createTestEnv();
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
    const { config } = signals.deps;
    // flood's share is 10 events in flight per lane; everyone else has the default
    // every request reads the count afresh (TTL 0): each decision below is on the latest count
    guard = new IngestGuard({ ...signals.deps, config: { ...config, ingest: { ...config.ingest, tenantLimits: { flood: { maxInFlight: 10 } } } } }, 0);
    inFlight = new InFlightEvents(signals.deps.redis, config.queuePrefix);
  });
  afterAll(async () => {
    await signals?.close();
    await env?.cleanup();
  });

  const ingest = (tenantId: string, events: unknown[], lane: 'live' | 'history' = 'live') =>
    new IngestService(forkAcrossTenants(signals.deps.orm), { tenantId, keyId: `key-${tenantId}-${lane}`, scopes: ['events:write'] }, signals.deps, guard).ingest(events, { receivedAt, lane });
  const stored = (tenantId: string) => forkAcrossTenants(signals.deps.orm).count(Event, { tenantId });
  /** What the detect stage and risk's acknowledgement do to these events: taken over, then handed on. */
  const scoreAll = async (tenantId: string, lane: 'live' | 'history', messagePrefix: string) => {
    const em = forkForTenant(signals.deps.orm, tenantId);
    const events = await em.find(Event, { tenantId, processedAt: null, messageId: { $like: `${messagePrefix}-%` } });
    await em.getRepository(Event).takeOver(tenantId, events.map((e) => ({ eventId: e.id, profileId: null })), new Date());
    const eventIds = events.map((e) => e.id);
    await activityRecorded({ id: `ack-${tenantId}-${lane}`, data: { tenantId, eventIds, ...(lane === 'history' && { lane }) } }, signals.deps);
    return eventIds;
  };

  it('counts the events each tenant stored, per lane, and not a duplicate again', async () => {
    await ingest('counted', batchOf('c', 3));
    await ingest('counted', [...batchOf('c', 3), track('c-new')]);
    await ingest('counted', batchOf('ch', 2), 'history');
    expect(await inFlight.readMany(['counted'])).toEqual(new Map([['counted', { live: 4, history: 2 }]]));
  });

  it('refuses a tenant over its share with a Retry-After from its drain rate, stores nothing, and takes another tenant meanwhile', async () => {
    // risk scored 60 of flood's events in the last minute: it drains 1 event a second
    await meterFinishedJobs(signals.deps.redis, signals.deps.config.queuePrefix, 'risk', [{ tenantId: 'flood', events: 60, waitMs: null, runMs: null }]);
    await expect(ingest('flood', batchOf('f', 15))).resolves.toMatchObject({ accepted: 15 });
    const refused = ingest('flood', [track('f-late')]);
    // 15 in flight, 10 its share: 5 over at 1 per second
    await expect(refused).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/tenant flood has 15 live events not yet scored \(its share is 10\)/),
      details: { retryAfterSeconds: 5 },
    });
    expect(await stored('flood')).toBe(15);
    await expect(ingest('neighbour', batchOf('n', 20))).resolves.toMatchObject({ accepted: 20 });
  });

  it('never blocks the tenant’s live lane for its history lane, nor the other way round', async () => {
    // the live lane is over its share (above): an import of the same tenant is still taken
    await expect(ingest('flood', batchOf('fh', 12), 'history')).resolves.toMatchObject({ accepted: 12 });
    await expect(ingest('flood', [track('fh-late')], 'history')).rejects.toBeInstanceOf(AppError);
    expect(await inFlight.readMany(['flood'])).toEqual(new Map([['flood', { live: 15, history: 12 }]]));
  });

  it('takes the tenant again once risk has acknowledged its events, lane by lane', async () => {
    const liveIds = await scoreAll('flood', 'live', 'f');
    expect(liveIds).toHaveLength(15);
    // the guard reads the count at most every few hundred ms: wait for it to see the fact
    expect(await inFlight.readMany(['flood'])).toEqual(new Map([['flood', { live: 0, history: 12 }]]));
    await expect(ingest('flood', [track('f-again')])).resolves.toMatchObject({ accepted: 1 });
    // the history lane is still over its share until its own events are acknowledged
    await expect(ingest('flood', [track('fh-again')], 'history')).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await scoreAll('flood', 'history', 'fh');
    await expect(ingest('flood', [track('fh-again')], 'history')).resolves.toMatchObject({ accepted: 1 });
    expect(await stored('flood')).toBe(15 + 12 + 1 + 1);
    // a repeated acknowledgement finds nothing pending and takes nothing away
    await activityRecorded({ id: 'ack-flood-again', data: { tenantId: 'flood', eventIds: liveIds } }, signals.deps);
    expect(await inFlight.readMany(['flood'])).toEqual(new Map([['flood', { live: 1, history: 1 }]]));
  });

  it('reads a tenant’s count once for the requests of one period, however many arrive', async () => {
    // a period long enough that every request below falls in it, however slow the machine
    const cachingGuard = new IngestGuard(signals.deps, 60_000);
    const reads = jest.spyOn(InFlightEvents.prototype, 'read');
    try {
      await Promise.all(Array.from({ length: 10 }, (_, i) => cachingGuard.admit(`key-${i}`, 1, { tenantId: 'busy', lane: 'live' })));
      expect(reads).toHaveBeenCalledTimes(1);
      // another lane is another count
      await cachingGuard.admit('key-h', 1, { tenantId: 'busy', lane: 'history' });
      expect(reads).toHaveBeenCalledTimes(2);
    } finally {
      reads.mockRestore();
    }
  });

  it('lowers counts that drifted above SQL to SQL’s at the sweeper’s tick, never raising them', async () => {
    // a lost acknowledgement count: Redis says 500 of drift's events are in flight, SQL none
    await inFlight.add('drift', 'live', 500);
    await inFlight.add('drift', 'history', 7);
    await ingest('drift-real', batchOf('d', 4));
    // and a tenant SQL knows of but Redis forgot (a flush): left alone, it is admitted sooner
    await ingest('forgotten', batchOf('g', 2));
    await signals.deps.redis.del(`{${signals.deps.config.queuePrefix}}:in-flight:forgotten`);
    await sweepEvents(signals.deps);
    const counts = await inFlight.readMany(['drift', 'drift-real', 'forgotten']);
    expect(counts.get('drift')).toEqual({ live: 0, history: 0 });
    expect(counts.get('drift-real')).toEqual({ live: 4, history: 0 });
    expect(counts.get('forgotten')).toEqual({ live: 0, history: 0 });
    expect(await inFlight.tenants()).not.toContain('drift');
  });
});
