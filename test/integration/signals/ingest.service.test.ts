import { fairShareFor, LANE_SPAN } from '../../../subgraphs/common/fair-share';
import { RESOLVE_IDENTITY, type Queues } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { IngestGuard, ingestGuardFor } from '../../../subgraphs/signals/services/ingest-guard.service';
import { IngestService } from '../../../subgraphs/signals/services/ingest.service';
import { resolveIdentityJobId } from '../../../subgraphs/signals/domain/events/resolve-identity-job';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const track = (messageId: string, over: Record<string, unknown> = {}) => ({ type: 'track', event: 'Clicked', userId: 'u1', messageId, ...over });

describe('IngestService', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;

  beforeAll(async () => {
    env = await createTestEnv();
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
  });
  afterAll(async () => {
    await signals?.close();
    await env?.cleanup();
  });

  const service = (tenantId: string, deps = signals.deps, guard = ingestGuardFor(signals.deps)) =>
    new IngestService(forkAcrossTenants(deps.orm), { tenantId, keyId: `key-${tenantId}`, scopes: ['events:write'] }, deps, guard);
  const stored = (tenantId: string) => forkAcrossTenants(signals.deps.orm).find(Event, { tenantId }, { orderBy: { messageId: 'asc' } });
  const queue = () => signals.deps.queues.get(RESOLVE_IDENTITY);
  const receivedAt = new Date('2026-11-25T12:00:00Z');

  it('stores each valid event once and queues one resolve job for the request, keyed by tenant and its first and last event', async () => {
    const outcome = await service('t1').ingest([track('m1'), track('m2', { type: 'identify', traits: { plan: 'pro' } })], { receivedAt });
    expect(outcome).toEqual({ accepted: 2, duplicates: 0, errors: [] });
    const rows = await stored('t1');
    expect(rows.map((r) => [r.messageId, r.type, r.name])).toEqual([
      ['m1', 'track', 'Clicked'],
      ['m2', 'identify', null],
    ]);
    const job = await queue().getJob(`t1-${rows[0].id}-${rows[1].id}`);
    expect(job?.data.tenantId).toBe('t1');
    expect(job?.data.events).toHaveLength(2);
    for (const [i, row] of rows.entries()) {
      expect(row.enqueuedAt).toBeInstanceOf(Date);
      expect(row.processedAt).toBeNull();
      expect(job?.data.events[i]).toMatchObject({ tenantId: 't1', eventId: row.id, messageId: row.messageId, userId: 'u1', timestamp: receivedAt.toISOString() });
    }
    expect(rows[1].traits).toEqual({ plan: 'pro' });
  });

  it('counts a retried batch as duplicates and stores and queues nothing new', async () => {
    const batch = [track('r1'), track('r2')];
    await service('t2').ingest(batch, { receivedAt });
    const jobsBefore = await queue().getJobCountByTypes('waiting', 'prioritized');
    const retry = await service('t2').ingest([...batch, track('r3')], { receivedAt });
    expect(retry).toEqual({ accepted: 1, duplicates: 2, errors: [] });
    expect(await stored('t2')).toHaveLength(3);
    expect(await queue().getJobCountByTypes('waiting', 'prioritized')).toBe(jobsBefore + 1);
  });

  it('counts a messageId repeated within one batch as a duplicate', async () => {
    const outcome = await service('t3').ingest([track('d1'), track('d1', { event: 'Other' }), track('d2')], { receivedAt });
    expect(outcome).toEqual({ accepted: 2, duplicates: 1, errors: [] });
    expect((await stored('t3')).find((r) => r.messageId === 'd1')?.name).toBe('Clicked');
  });

  it('keeps the valid events of a mixed batch and reports each refused one by index', async () => {
    const outcome = await service('t4').ingest(
      [track('v1'), { type: 'track', userId: 'u1', messageId: 'bad1' }, 'junk', track('v2'), { type: 'alias', userId: 'u1' }],
      { receivedAt },
    );
    expect(outcome).toEqual({
      accepted: 2,
      duplicates: 0,
      errors: [
        { index: 1, message: 'track needs event (a non-empty string)' },
        { index: 2, message: 'an event must be a JSON object' },
        { index: 4, message: 'alias needs previousId and userId' },
      ],
    });
    expect((await stored('t4')).map((r) => r.messageId)).toEqual(['v1', 'v2']);
  });

  it('keeps tenants apart: one messageId is a different event in another tenant', async () => {
    await service('t5a').ingest([track('same')], { receivedAt });
    expect(await service('t5b').ingest([track('same')], { receivedAt })).toMatchObject({ accepted: 1, duplicates: 0 });
  });

  it('stores a batch larger than one INSERT chunk completely', async () => {
    const events = Array.from({ length: 1234 }, (_, i) => track(`big-${i}`));
    expect(await service('t6').ingest(events, { receivedAt })).toEqual({ accepted: 1234, duplicates: 0, errors: [] });
    expect(await forkAcrossTenants(signals.deps.orm).count(Event, { tenantId: 't6', enqueuedAt: { $ne: null } })).toBe(1234);
  });

  it('stores the skew-corrected timestamp beside the client’s own clocks', async () => {
    await service('t7').ingest([track('c1', { timestamp: '2026-11-25T15:00:00Z' })], {
      receivedAt,
      sentAt: new Date('2026-11-25T15:00:30Z'),
    });
    const [row] = await stored('t7');
    expect(row.timestamp.toISOString()).toBe('2026-11-25T11:59:30.000Z');
    expect(row.originalTimestamp?.toISOString()).toBe('2026-11-25T15:00:00.000Z');
    expect(row.sentAt?.toISOString()).toBe('2026-11-25T15:00:30.000Z');
    expect(row.receivedAt.toISOString()).toBe(receivedAt.toISOString());
  });

  it('keeps the events when queueing fails after the commit, leaving enqueuedAt empty for the sweeper', async () => {
    const broken = { get: () => ({ addBulk: () => Promise.reject(new Error('redis is gone')) }) } as unknown as Queues;
    const log = { ...signals.deps.log, error: jest.fn() } as unknown as typeof signals.deps.log;
    const deps = { ...signals.deps, queues: broken, log };
    const outcome = await service('t8', deps, new IngestGuard({ ...signals.deps })).ingest([track('k1')], { receivedAt });
    expect(outcome.accepted).toBe(1);
    const [row] = await stored('t8');
    expect(row.enqueuedAt).toBeNull();
    expect(log.error).toHaveBeenCalled();
  });

  describe('admission', () => {
    const guardWith = (ingest: Partial<typeof env.config.ingest>) =>
      new IngestGuard({ ...signals.deps, config: { ...env.config, ingest: { ...env.config.ingest, ...ingest } } });

    it('refuses a key over its events-per-second quota with RATE_LIMITED and a retry delay', async () => {
      const guard = guardWith({ rateLimitPerSecond: 3 });
      await service('t9', signals.deps, guard).ingest([track('q1'), track('q2'), track('q3')], { receivedAt });
      const refused = service('t9', signals.deps, guard).ingest([track('q4')], { receivedAt });
      await expect(refused).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { retryAfterSeconds: 1 } });
      // another key has its own quota
      await expect(service('t9-other', signals.deps, guard).ingest([track('q5')], { receivedAt })).resolves.toMatchObject({ accepted: 1 });
    });

    it('refuses while the resolve queue is deeper than allowed, before storing anything', async () => {
      expect(await queue().getJobCountByTypes('waiting', 'prioritized')).toBeGreaterThan(0);
      const guard = guardWith({ maxQueueDepth: 1 });
      await expect(service('t10', signals.deps, guard).ingest([track('x1')], { receivedAt })).rejects.toMatchObject({
        code: 'RATE_LIMITED',
        details: { retryAfterSeconds: 5 },
      });
      expect(await stored('t10')).toHaveLength(0);
    });

    it('refuses a tenant whose own backlog is over its share, while another tenant is still taken', async () => {
      // t11 has two requests waiting; its share is one (INGEST_TENANT_LIMITS-style override)
      const guard = guardWith({ tenantLimits: { t11: { maxBacklog: 1 } } });
      await service('t11', signals.deps, guard).ingest([track('b1')], { receivedAt });
      await service('t11', signals.deps, guard).ingest([track('b2')], { receivedAt });
      const refused = service('t11', signals.deps, guard).ingest([track('b3')], { receivedAt });
      await expect(refused).rejects.toMatchObject({ code: 'RATE_LIMITED', message: expect.stringMatching(/tenant t11 has \d+ requests waiting \(its share is 1\)/), details: { retryAfterSeconds: 5 } });
      expect((await stored('t11')).map((e) => e.messageId)).toEqual(['b1', 'b2']);
      await expect(service('t11-neighbour', signals.deps, guard).ingest([track('n1')], { receivedAt })).resolves.toMatchObject({ accepted: 1 });
    });

    it('refuses a tenant over its events-per-second quota across all its keys', async () => {
      const guard = guardWith({ tenantLimits: { t12: { ratePerSecond: 4 } } });
      const keyed = (keyId: string) => new IngestService(forkAcrossTenants(signals.deps.orm), { tenantId: 't12', keyId, scopes: ['events:write'] }, signals.deps, guard);
      await keyed('k1').ingest([track('c1'), track('c2')], { receivedAt });
      await keyed('k2').ingest([track('c3'), track('c4')], { receivedAt });
      await expect(keyed('k3').ingest([track('c5')], { receivedAt })).rejects.toMatchObject({ code: 'RATE_LIMITED', message: 'over 4 events per second for tenant t12' });
    });

    it('queues history behind live work: an import lands in the lower lane with its own backlog', async () => {
      await service('t13').ingest([track('h1')], { receivedAt, lane: 'history' });
      await service('t13').ingest([track('l1')], { receivedAt });
      const [history, live] = await Promise.all(['h1', 'l1'].map(async (m) => {
        const row = (await stored('t13')).find((e) => e.messageId === m)!;
        return queue().getJob(resolveIdentityJobId('t13', [row.id]));
      }));
      expect(history?.data.lane).toBe('history');
      expect(history!.opts.priority).toBeGreaterThanOrEqual(LANE_SPAN);
      expect(live?.data.lane).toBeUndefined();
      expect(live!.opts.priority).toBeLessThan(LANE_SPAN);
      expect(await fairShareFor(signals.deps).backlog(RESOLVE_IDENTITY, 't13', 'history')).toBe(1);
    });

    it('reads the queue depth once for the requests that arrive while a read is in flight, and afresh after', async () => {
      const guard = guardWith({});
      const reads = jest.spyOn(signals.deps.queues.get(RESOLVE_IDENTITY), 'getJobCountByTypes');
      try {
        await Promise.all(Array.from({ length: 10 }, (_, i) => guard.admit(`key-${i}`, 1)));
        expect(reads).toHaveBeenCalledTimes(1);
        await guard.admit('key-0', 1);
        expect(reads).toHaveBeenCalledTimes(2);
      } finally {
        reads.mockRestore();
      }
    });
  });
});
