import { Queue, UnrecoverableError } from 'bullmq';

import { EVENT_RESOLVED, queueOptions, RECORD_ACTIVITY, type JobPayloads } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { ingestGuardFor } from '../../../subgraphs/signals/services/ingest-guard.service';
import { IngestService } from '../../../subgraphs/signals/services/ingest.service';
import { eventResolved } from '../../../subgraphs/signals/workers/event-resolved.worker';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

type Payload = JobPayloads[typeof EVENT_RESOLVED];
const PROFILE_A = '01a21226-0000-7000-8000-00000000000a';
const PROFILE_B = '01a21226-0000-7000-8000-00000000000b';

describe('eventResolved', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;

  beforeAll(async () => {
    env = await createTestEnv();
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0 });
  });
  afterAll(async () => {
    await signals?.close();
    await env?.cleanup();
  });

  const ingestOne = async (tenantId: string, messageId: string): Promise<Event> => {
    const em = forkAcrossTenants(signals.deps.orm);
    await new IngestService(em, { tenantId, keyId: 'k', scopes: ['events:write'] }, signals.deps, ingestGuardFor(signals.deps)).ingest(
      [{ type: 'track', event: 'Clicked', userId: 'u1', messageId }],
      { receivedAt: new Date() },
    );
    return em.findOneOrFail(Event, { tenantId, messageId });
  };
  const reload = (id: string) => forkAcrossTenants(signals.deps.orm).findOneOrFail(Event, { id });

  it('sets the profile and processedAt, and keeps the first processedAt when run again', async () => {
    const event = await ingestOne('t1', 'm1');
    const job = { id: 'j1', data: { tenantId: 't1', eventId: event.id, profileId: PROFILE_A } };
    await eventResolved(job, signals.deps);
    const first = await reload(event.id);
    expect(first.profileId).toBe(PROFILE_A);
    expect(first.processedAt).toBeInstanceOf(Date);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await eventResolved(job, signals.deps);
    expect((await reload(event.id)).processedAt?.getTime()).toBe(first.processedAt!.getTime());
  });

  it('re-points the event when its profile was merged into another', async () => {
    const event = await ingestOne('t1', 'm2');
    await eventResolved({ id: 'j2', data: { tenantId: 't1', eventId: event.id, profileId: PROFILE_A } }, signals.deps);
    await eventResolved({ id: 'j3', data: { tenantId: 't1', eventId: event.id, profileId: PROFILE_B } }, signals.deps);
    expect((await reload(event.id)).profileId).toBe(PROFILE_B);
  });

  it('marks an event without a usable identity processed, unattributed', async () => {
    const event = await ingestOne('t1', 'm-nobody');
    await eventResolved({ id: 'j-nobody', data: { tenantId: 't1', eventId: event.id, profileId: null } }, signals.deps);
    const stored = await reload(event.id);
    expect(stored.processedAt).toBeInstanceOf(Date);
    expect(stored.profileId).toBeNull();
  });

  it.each([
    ['a malformed payload', { tenantId: 't1' }],
    ['a non-UUID profile id', { tenantId: 't1', eventId: '01a21226-0000-7000-8000-000000000001', profileId: 'p-1' }],
    ['an unknown event', { tenantId: 't1', eventId: '01a21226-0000-7000-8000-000000000001', profileId: PROFILE_A }],
  ])('rejects %s as unrecoverable', async (_name, data) => {
    await expect(eventResolved({ id: 'bad', data: data as Payload }, signals.deps)).rejects.toBeInstanceOf(UnrecoverableError);
  });

  it('does not resolve another tenant’s event', async () => {
    const event = await ingestOne('t2', 'm3');
    await expect(eventResolved({ id: 'x', data: { tenantId: 't1', eventId: event.id, profileId: PROFILE_A } }, signals.deps)).rejects.toBeInstanceOf(
      UnrecoverableError,
    );
    expect((await reload(event.id)).processedAt).toBeNull();
  });

  it('consumes jobs from the real queue', async () => {
    const event = await ingestOne('t3', 'm4');
    const queue = new Queue<Payload>(EVENT_RESOLVED, queueOptions(signals.deps.redis, env.config.queuePrefix));
    try {
      await queue.add(EVENT_RESOLVED, { tenantId: 't3', eventId: event.id, profileId: PROFILE_A }, { jobId: `t3-${event.id}` });
      await waitFor(async () => (await reload(event.id)).processedAt !== null);
      expect((await reload(event.id)).profileId).toBe(PROFILE_A);
    } finally {
      await queue.close();
    }
  });

  it('takes the jobs waiting behind one into the same pass, per tenant, and settles each of them', async () => {
    const queue = new Queue<Payload>(EVENT_RESOLVED, queueOptions(signals.deps.redis, env.config.queuePrefix));
    const handOns = new Queue<JobPayloads[typeof RECORD_ACTIVITY]>(RECORD_ACTIVITY, queueOptions(signals.deps.redis, env.config.queuePrefix));
    try {
      const mine = [];
      for (let i = 0; i < 4; i++) mine.push(await ingestOne('t4', `c-${i}`));
      const theirs = [await ingestOne('t5', 'c-a'), await ingestOne('t5', 'c-b')];
      // queued while the queue is paused, so the worker finds them all waiting at once
      await queue.pause();
      const ids: string[] = [];
      for (const [tenantId, event] of [...mine.map((e) => ['t4', e] as const), ...theirs.map((e) => ['t5', e] as const)]) {
        const job = await queue.add(EVENT_RESOLVED, { tenantId, events: [{ eventId: event.id, profileId: PROFILE_A }] }, { jobId: `pass-${event.id}` });
        ids.push(job.id!);
      }
      const malformed = await queue.add(EVENT_RESOLVED, { tenantId: 't4', events: [{ eventId: 'not-a-uuid', profileId: PROFILE_A }] }, { jobId: 'pass-malformed' });
      await queue.resume();
      const state = async (id: string) => (await queue.getJob(id))?.getState();
      await waitFor(async () => (await Promise.all(ids.map(state))).every((s) => s === 'completed') && (await state(malformed.id!)) === 'failed');
      for (const event of [...mine, ...theirs]) expect((await reload(event.id)).processedAt).toBeInstanceOf(Date);
      // one record-activity hand-off per pass and tenant: four jobs of t4 went out in at most two
      // passes (the worker runs two at once), not four
      const t4HandOns = (await handOns.getJobs(['waiting', 'prioritized'])).filter((j) => j.data.tenantId === 't4');
      expect(t4HandOns.length).toBeLessThanOrEqual(2);
      expect(t4HandOns.flatMap((j) => ('items' in j.data ? j.data.items : [])).filter((i) => i.kind === 'event')).toHaveLength(4);
    } finally {
      await queue.close();
      await handOns.close();
    }
  });
});
