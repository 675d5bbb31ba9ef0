import { Queue, UnrecoverableError } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { PLAYBOOK_EVENTS, playbookEventsJobId, queueOptions, type PlaybookEventsBatch } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { eventResolved } from '../../../subgraphs/signals/workers/event-resolved.worker';
import { playbookEventsDone } from '../../../subgraphs/signals/workers/playbook-events-done.worker';
import { sweepEvents } from '../../../subgraphs/signals/workers/sweep-events.worker';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const GRACE_MS = 60_000;

/**
 * The signals → actions hand-off of named events to the playbook runs waiting for them, with real
 * Redis and real SQL: the take-over marks the events, one `playbook-events` job per pass, the
 * marker cleared only by actions' acknowledgement, and a job lost from Redis re-sent from SQL.
 * The live path holds a pass's events for the ack window: the window here is an hour, so nothing
 * is sent until the test flushes (`flushAcks`), as the window's end would.
 */
describe('the playbook-events hand-off', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  let queue: Queue<PlaybookEventsBatch>;

  beforeAll(async () => {
    // the scheduled sweeps stay out of the way (the test sweeps, with its own clock)
    env = await createTestEnv({ SWEEP_GRACE_MS: String(GRACE_MS), SWEEP_INTERVAL_MS: '3600000', QUEUE_ACK_WINDOW_MS: '3600000' });
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
    queue = new Queue(PLAYBOOK_EVENTS, queueOptions(signals.deps.redis, env.config.queuePrefix));
  }, 120_000);
  afterAll(async () => {
    await queue?.close();
    await signals?.close();
    await env?.cleanup();
  });

  const em = () => forkAcrossTenants(signals.deps.orm);
  /**
   * Stores events (name null: an identify) and resolves them in one event-resolved pass; `profileId`
   * null leaves one unattributed. The held hand-off is sent unless `hold` (as at a window's end).
   */
  const pass = async (tenantId: string, specs: { name: string | null; profileId: string | null }[], hold = false) => {
    const now = Date.now();
    const events = specs.map((s) =>
      em().create(Event, { tenantId, messageId: uuidv7(), type: s.name ? 'track' : 'identify', name: s.name, properties: { step: 'email' }, userId: 'u', timestamp: new Date(now - 1000), receivedAt: new Date(now) }),
    );
    await em().persistAndFlush(events);
    const job = { id: `pass-${events[0].id}`, data: { tenantId, events: events.map((e, i) => ({ eventId: e.id, profileId: specs[i].profileId })) } };
    await eventResolved(job, signals.deps);
    if (!hold) await signals.deps.queues.flushAcks();
    return { events, job };
  };
  const jobsOf = async (tenantId: string) => (await queue.getJobs(['waiting', 'active', 'completed', 'delayed', 'prioritized'])).filter((j) => j.data.tenantId === tenantId);
  const markersOf = async (tenantId: string) => new Map((await em().find(Event, { tenantId }, { orderBy: { id: 'asc' } })).map((e) => [e.id, e.playbookEventsPendingSince]));

  it('marks only the named, attributed events of a pass, hands them over in one job, and a replayed pass queues nothing new', async () => {
    const tenantId = 'pb-handoff';
    const profileId = uuidv7();
    const { events, job } = await pass(tenantId, [
      { name: 'Email Opened', profileId },
      { name: null, profileId },
      { name: 'Page Viewed', profileId: null },
      { name: 'Offer Viewed', profileId },
    ]);
    const [opened, identify, unattributed, viewed] = events;
    const markers = await markersOf(tenantId);
    expect(markers.get(opened.id)).toBeInstanceOf(Date);
    expect(markers.get(viewed.id)).toEqual(markers.get(opened.id));
    expect(markers.get(identify.id)).toBeNull();
    expect(markers.get(unattributed.id)).toBeNull();

    await eventResolved(job, signals.deps);
    await signals.deps.queues.flushAcks();
    const jobs = await jobsOf(tenantId);
    expect(jobs.map((j) => j.id)).toEqual([playbookEventsJobId(tenantId, [opened.id, viewed.id])]);
    expect(jobs[0].data.events.map((e) => [e.eventId, e.profileId, e.name])).toEqual([
      [opened.id, profileId, 'Email Opened'],
      [viewed.id, profileId, 'Offer Viewed'],
    ]);
    // the retried pass marked them again: the job carries the newest marker, which the ack clears
    const newest = (await markersOf(tenantId)).get(opened.id)!;
    expect(new Date(jobs[0].data.pendingSince!).getTime()).toBeLessThanOrEqual(newest.getTime());

    // an acknowledgement of an older hand-off leaves a newer marker pending
    await playbookEventsDone({ id: 'old-ack', data: { tenantId, eventIds: [opened.id, viewed.id], upTo: new Date(newest.getTime() - 1).toISOString() } }, signals.deps);
    expect((await markersOf(tenantId)).get(opened.id)).toEqual(newest);
    // acknowledgements gathered into one job keep each job's own watermark: the older one clears
    // nothing, the newer one (in `also`) clears both
    const older = new Date(newest.getTime() - 1).toISOString();
    const gathered = { tenantId, eventIds: [opened.id, viewed.id], upTo: older, also: [{ eventIds: [viewed.id], upTo: older }, { eventIds: [opened.id, viewed.id], upTo: newest.toISOString() }] };
    expect(await playbookEventsDone({ id: 'ack', data: gathered }, signals.deps)).toBe(2);
    expect([...(await markersOf(tenantId)).values()]).toEqual([null, null, null, null]);
  });

  it('sends the passes of one window as one job per tenant, each event once, nothing before the window ends', async () => {
    const profileId = uuidv7();
    const first = await pass('pb-window', [{ name: 'Email Opened', profileId }], true);
    const second = await pass('pb-window', [{ name: 'Offer Viewed', profileId }, { name: 'Email Link Clicked', profileId }], true);
    const other = await pass('pb-window-other', [{ name: 'Email Opened', profileId: uuidv7() }], true);
    // a replay of the first pass within the window holds nothing twice
    await eventResolved(first.job, signals.deps);
    expect(await jobsOf('pb-window')).toEqual([]);
    expect(await jobsOf('pb-window-other')).toEqual([]);

    await signals.deps.queues.flushAcks();
    const ids = [...first.events, ...second.events].map((e) => e.id);
    const [job, ...more] = await jobsOf('pb-window');
    expect(more).toEqual([]);
    expect(job.id).toBe(playbookEventsJobId('pb-window', [ids[0], ids[ids.length - 1]]));
    expect(job.data.events.map((e) => [e.eventId, e.name])).toEqual([
      [ids[0], 'Email Opened'],
      [ids[1], 'Offer Viewed'],
      [ids[2], 'Email Link Clicked'],
    ]);
    // the job's watermark covers every marker it hands over, the replayed pass's newer one included
    const markers = await markersOf('pb-window');
    expect(new Date(job.data.pendingSince!).getTime()).toBe(Math.max(...ids.map((id) => markers.get(id)!.getTime())));
    expect((await jobsOf('pb-window-other')).map((j) => j.id)).toEqual([playbookEventsJobId('pb-window-other', [other.events[0].id])]);
  });

  it('re-sends events whose job Redis lost once the grace period is over, and stops once actions acknowledged them', async () => {
    const tenantId = 'pb-lost';
    const { events } = await pass(tenantId, [{ name: 'Email Opened', profileId: uuidv7() }]);
    const [opened] = events;
    const pendingSince = (await markersOf(tenantId)).get(opened.id)!.getTime();
    // Redis loses the job (a flush): only SQL remembers the hand-off
    await queue.obliterate({ force: true });
    await sweepEvents(signals.deps, new Date(pendingSince + GRACE_MS / 2));
    expect(await jobsOf(tenantId)).toEqual([]);

    await sweepEvents(signals.deps, new Date(pendingSince + GRACE_MS + 1));
    const resent = await jobsOf(tenantId);
    expect(resent).toHaveLength(1);
    expect(resent[0].id).toMatch(new RegExp(`^${playbookEventsJobId(tenantId, [opened.id])}-swept\\d+$`));
    expect(resent[0].data).toMatchObject({ tenantId, pendingSince: new Date(pendingSince).toISOString(), events: [{ eventId: opened.id, name: 'Email Opened', properties: { step: 'email' } }] });
    // a later sweep in the same grace period re-adds the same job id (a no-op while it is kept)
    await sweepEvents(signals.deps, new Date(pendingSince + GRACE_MS + 2));
    expect(await jobsOf(tenantId)).toHaveLength(1);

    await playbookEventsDone({ id: 'ack-lost', data: { tenantId, eventIds: [opened.id], upTo: resent[0].data.pendingSince! } }, signals.deps);
    await queue.obliterate({ force: true });
    await sweepEvents(signals.deps, new Date(pendingSince + 10 * GRACE_MS));
    expect(await jobsOf(tenantId)).toEqual([]);
  });

  it('fails a malformed acknowledgement for good', async () => {
    await expect(playbookEventsDone({ id: 'bad', data: { tenantId: 'x', eventIds: ['nope'], upTo: new Date().toISOString() } }, signals.deps)).rejects.toBeInstanceOf(UnrecoverableError);
    await expect(playbookEventsDone({ id: 'bad-time', data: { tenantId: 'x', eventIds: [], upTo: 'soon' } }, signals.deps)).rejects.toThrow('upTo must be an ISO time');
    await expect(playbookEventsDone({ id: 'bad-also', data: { tenantId: 'x', eventIds: [], upTo: new Date().toISOString(), also: [{ eventIds: ['nope'], upTo: new Date().toISOString() }] } }, signals.deps)).rejects.toThrow('also[0].eventIds[0] must be a UUID');
  });
});
