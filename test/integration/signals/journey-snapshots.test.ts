import { Queue } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { queueOptions, RECORD_ACTIVITY, type RecordActivityBatch, type RecordActivityJob } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { JourneyInstance } from '../../../subgraphs/signals/entities/journey-instance.entity';
import { journeySnapshotJobId, type JourneySnapshotJob } from '../../../subgraphs/signals/services/journey-snapshot';
import { JourneyService } from '../../../subgraphs/signals/services/journey.service';
import { detectFriction } from '../../../subgraphs/signals/workers/detect-friction.worker';
import { sweepFriction } from '../../../subgraphs/signals/workers/sweep-friction.worker';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const T0 = Date.parse('2026-11-25T09:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (min: number) => new Date(T0 + min * MIN);
const iso = (min: number) => at(min).toISOString();

const ONBOARDING = {
  name: 'Account opening',
  steps: [
    { key: 'started', event: 'Account Opening Started', slaMs: 2 * HOUR },
    { key: 'id_upload', event: 'ID Uploaded', failureEvents: ['ID Upload Failed'], slaMs: 2 * HOUR },
    { key: 'details', event: 'Details Submitted', slaMs: 4 * HOUR },
    { key: 'opened', event: 'Account Opened' },
  ],
  slaMs: 48 * HOUR,
  retryLoop: { count: 3, windowMs: 10 * MIN },
  sessionTimeoutMs: 30 * MIN,
};

/** Journey instances of the signals subgraph (real SQL, real Redis) as the risk stage hears of them. */
describe('queueJourneySnapshots', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  let activity: Queue<RecordActivityJob | RecordActivityBatch>;

  beforeAll(async () => {
    env = await createTestEnv();
    // no workers: the test runs the detect and sweep jobs itself, and nothing consumes record-activity
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
    activity = new Queue(RECORD_ACTIVITY, queueOptions(signals.deps.redis, env.config.queuePrefix));
  });
  afterAll(async () => {
    await activity?.obliterate({ force: true });
    await activity?.close();
    await signals?.close();
    await env?.cleanup();
  });

  const define = (tenantId: string) => new JourneyService(forkAcrossTenants(signals.deps.orm), tenantId).createDefinition(ONBOARDING as never);

  /** A stored, resolved event (what the event-resolved worker leaves behind). */
  async function stored(tenantId: string, profileId: string, name: string, min: number): Promise<Event> {
    const em = forkAcrossTenants(signals.deps.orm);
    const event = em.create(Event, { tenantId, messageId: uuidv7(), type: 'track', name, properties: {}, timestamp: at(min), receivedAt: at(min), profileId, processedAt: at(min) });
    await em.flush();
    return event;
  }
  const detect = (tenantId: string, event: Event) =>
    detectFriction({ id: `${tenantId}-${event.id}`, data: { tenantId, eventId: event.id, profileId: event.profileId! } }, signals.deps);

  /**
   * The tenant's journey snapshots as risk receives them, oldest observation first, each once per
   * snapshot id: lone jobs (the sweep) and items of `record-activity` batches (the event-resolved
   * stage hands snapshots on inside its batch; risk keeps one row per snapshot id).
   */
  async function journeyJobs(tenantId: string): Promise<(JourneySnapshotJob & { jobId: string })[]> {
    const jobs = await activity.getJobs(['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed']);
    const byId = new Map<string, JourneySnapshotJob & { jobId: string }>();
    for (const j of jobs.sort((a, b) => a.timestamp - b.timestamp)) {
      for (const item of 'items' in j.data ? j.data.items : [j.data]) {
        if (item.kind !== 'journey' || item.tenantId !== tenantId) continue;
        const jobId = journeySnapshotJobId(item);
        if (!byId.has(jobId)) byId.set(jobId, { ...item, jobId });
      }
    }
    return [...byId.values()].sort((a, b) => a.observedAt.localeCompare(b.observedAt) || a.jobId.localeCompare(b.jobId));
  }
  const instanceOf = async (tenantId: string, profileId: string) => (await forkAcrossTenants(signals.deps.orm).find(JourneyInstance, { tenantId, profileId }))[0];

  it('queues one snapshot when an instance starts, reaches each step and completes, with SLA and retries', async () => {
    const tenant = 'snap-complete';
    const profileId = uuidv7();
    const def = await define(tenant);
    const events: Event[] = [];
    const seen: string[][] = [];
    for (const [name, min] of [
      ['Account Opening Started', 0],
      ['ID Upload Failed', 1],
      ['ID Upload Failed', 3],
      ['ID Upload Failed', 5],
      ['ID Uploaded', 8],
      ['Details Submitted', 20],
      ['Account Opened', 30],
    ] as const) {
      const event = await stored(tenant, profileId, name, min);
      events.push(event);
      await detect(tenant, event);
      seen.push((await journeyJobs(tenant)).map((j) => `${j.state}-${j.stepIndex}`));
    }
    // a snapshot as soon as each change is committed: failures and the retry loop change no state
    expect(seen).toEqual([
      ['active-0'],
      ['active-0'],
      ['active-0'],
      ['active-0'],
      ['active-0', 'active-1'],
      ['active-0', 'active-1', 'active-2'],
      ['active-0', 'active-1', 'active-2', 'completed-3'],
    ]);
    const instance = await instanceOf(tenant, profileId);
    const common = { kind: 'journey', tenantId: tenant, profileId, instanceId: instance.id, journeyId: def.id, journeyName: 'Account opening', stepCount: 4, startedAt: iso(0) };
    expect(await journeyJobs(tenant)).toEqual([
      {
        ...common,
        jobId: `${tenant}-journey-${instance.id}-active-0`,
        state: 'active',
        stepIndex: 0,
        step: 'started',
        stepReachedAt: iso(0),
        stepSlaMs: 2 * HOUR,
        retries: 0,
        endedAt: null,
        observedAt: iso(0),
      },
      // the retry loop at minute 5 came before this step
      { ...common, jobId: `${tenant}-journey-${instance.id}-active-1`, state: 'active', stepIndex: 1, step: 'id_upload', stepReachedAt: iso(8), stepSlaMs: 2 * HOUR, retries: 1, endedAt: null, observedAt: iso(8) },
      { ...common, jobId: `${tenant}-journey-${instance.id}-active-2`, state: 'active', stepIndex: 2, step: 'details', stepReachedAt: iso(20), stepSlaMs: 4 * HOUR, retries: 1, endedAt: null, observedAt: iso(20) },
      { ...common, jobId: `${tenant}-journey-${instance.id}-completed-3`, state: 'completed', stepIndex: 3, step: 'opened', stepReachedAt: iso(30), stepSlaMs: null, retries: 1, endedAt: iso(30), observedAt: iso(30) },
    ]);
    for (const j of await journeyJobs(tenant)) expect(j.jobId).not.toContain(':');

    // replaying every detect job queues nothing new
    const before = await activity.getJobCounts();
    for (const event of events) await detect(tenant, event);
    expect(await activity.getJobCounts()).toEqual(before);
    expect(await journeyJobs(tenant)).toHaveLength(4);
  });

  it('sends the steps an instance passed when its events are processed out of order', async () => {
    const tenant = 'snap-late';
    const profileId = uuidv7();
    await define(tenant);
    const events = [await stored(tenant, profileId, 'Account Opening Started', 0), await stored(tenant, profileId, 'ID Uploaded', 4), await stored(tenant, profileId, 'Details Submitted', 9)];
    for (const event of [...events].reverse()) await detect(tenant, event);
    expect((await journeyJobs(tenant)).map((j) => [j.state, j.step, j.observedAt])).toEqual([
      ['active', 'started', iso(0)],
      ['active', 'id_upload', iso(4)],
      ['active', 'details', iso(9)],
    ]);
  });

  it('queues a stall and an abandonment from the sweep at their deadlines, once however often it runs', async () => {
    const tenant = 'snap-sweep';
    const profileId = uuidv7();
    await define(tenant);
    await detect(tenant, await stored(tenant, profileId, 'Account Opening Started', 0));
    await detect(tenant, await stored(tenant, profileId, 'ID Uploaded', 2));
    expect((await journeyJobs(tenant)).map((j) => `${j.state}-${j.stepIndex}`)).toEqual(['active-0', 'active-1']);

    // the session ends at minute 32 (no snapshot: the instance stays active), the step SLA runs out at 122
    await sweepFriction(null, signals.deps, at(40));
    expect(await journeyJobs(tenant)).toHaveLength(2);
    await sweepFriction(null, signals.deps, at(125));
    await sweepFriction(null, signals.deps, at(126));
    const instance = await instanceOf(tenant, profileId);
    expect(instance.state).toBe('stalled');
    const stalled = (await journeyJobs(tenant))[2];
    expect(stalled).toMatchObject({
      jobId: `${tenant}-journey-${instance.id}-stalled-1`,
      state: 'stalled',
      stepIndex: 1,
      step: 'id_upload',
      stepReachedAt: iso(2),
      stepSlaMs: 2 * HOUR,
      retries: 0,
      endedAt: null,
      observedAt: iso(122),
    });

    // the journey SLA (48 h from the start) runs out
    await sweepFriction(null, signals.deps, at(48 * 60 + 5));
    await sweepFriction(null, signals.deps, at(48 * 60 + 6));
    const jobs = await journeyJobs(tenant);
    expect(jobs.map((j) => `${j.state}-${j.stepIndex}`)).toEqual(['active-0', 'active-1', 'stalled-1', 'abandoned-1']);
    expect(jobs[3]).toMatchObject({ state: 'abandoned', step: 'id_upload', endedAt: iso(48 * 60), observedAt: iso(48 * 60) });
  });

  it('queues nothing for a service built without the queue', async () => {
    const tenant = 'snap-none';
    const profileId = uuidv7();
    await define(tenant);
    await new JourneyService(forkAcrossTenants(signals.deps.orm), tenant).advance(await stored(tenant, profileId, 'Account Opening Started', 0));
    expect(await instanceOf(tenant, profileId)).toBeDefined();
    expect(await journeyJobs(tenant)).toEqual([]);
  });
});
