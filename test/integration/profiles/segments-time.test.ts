import { Queue } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { SEGMENT_MEMBERSHIP_CHANGED, type FsPubSub } from '../../../subgraphs/common/pubsub';
import { EVALUATE_SEGMENT_PAGE, RECHECK_SEGMENTS, queueOptions, type QueueName } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { Shutdown } from '../../../subgraphs/common/shutdown';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { profilesSubgraph } from '../../../subgraphs/profiles';
import { IdentityType } from '../../../subgraphs/profiles/entities/identity.entity';
import { ProfileEvent } from '../../../subgraphs/profiles/entities/profile-event.entity';
import { SegmentMembership } from '../../../subgraphs/profiles/entities/segment-membership.entity';
import { Segment } from '../../../subgraphs/profiles/entities/segment.entity';
import { ProfileService } from '../../../subgraphs/profiles/services/profile.service';
import { createSegmentService } from '../../../subgraphs/profiles/services/segment.service';
import { evaluateSegmentPage } from '../../../subgraphs/profiles/workers/evaluate-segment-page.worker';
import { evaluateSegments } from '../../../subgraphs/profiles/workers/evaluate-segments.worker';
import { RECHECK_SCHEDULER_ID, recheckSegments } from '../../../subgraphs/profiles/workers/recheck-segments.worker';
import { listenTo, readyRedisPubSub } from '../../fixtures/pubsub-listener';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const RUN = uuidv7().slice(-8);
const tenant = (name: string) => `${name}-${RUN}`;

describe('time-based segments (scheduled re-check)', () => {
  let env: TestEnv;
  let profiles: RunningSubgraph;
  let listener: FsPubSub;
  const shutdown = new Shutdown();
  const queues: Partial<Record<QueueName, Queue>> = {};
  /** The real time the test file started: events and segments are placed around it. */
  const T0 = Date.now();
  const at = (offsetMs: number) => new Date(T0 + offsetMs);

  beforeAll(async () => {
    env = await createTestEnv({ SEGMENT_RECHECK_INTERVAL_MS: '400' });
    // no workers: each test drives the processors with the time it chooses
    profiles = await runSubgraph(profilesSubgraph, env.config, { port: 0, workers: false });
    listener = await readyRedisPubSub(env.config.redisUrl, env.config.queuePrefix, shutdown);
  });
  afterAll(async () => {
    await Promise.all(Object.values(queues).map((q) => q.close()));
    await shutdown.run();
    await profiles?.close();
    await env?.cleanup();
  });

  const em = () => forkAcrossTenants(profiles.deps.orm);
  const queue = (name: QueueName) => (queues[name] ??= new Queue(name, queueOptions(profiles.deps.redis, env.config.queuePrefix)));
  const segments = (tenantId: string) => createSegmentService(profiles.deps, tenantId);
  const profile = async (tenantId: string, userId: string) =>
    (await new ProfileService(em(), tenantId).upsert({ identities: [{ type: IdentityType.USER_ID, value: userId }], traits: {} })).id;
  const track = async (tenantId: string, profileId: string, name: string, timestamp: Date) => {
    const write = em();
    write.create(ProfileEvent, { tenantId, profileId, eventId: uuidv7(), type: 'track', name, timestamp });
    await write.flush();
  };
  const evaluate = (tenantId: string, profileId: string, now: Date) =>
    evaluateSegments({ id: `${tenantId}-${profileId}`, data: { tenantId, profileId } }, profiles.deps, now);
  /** One scheduler tick at `now`, then every page it started, as the workers would run them. */
  const tick = async (tenantId: string, now: Date) => {
    const tenants = await recheckSegments({ id: 'tick' }, profiles.deps, now);
    expect(tenants).toContain(tenantId);
    let jobId: string | null = `${tenantId}-recheck-${now.getTime()}-start`;
    let evaluated = 0;
    while (jobId) {
      const job = await queue(EVALUATE_SEGMENT_PAGE).getJob(jobId);
      if (!job) throw new Error(`no page job ${jobId}`);
      const page = await evaluateSegmentPage(job, profiles.deps);
      evaluated += page.evaluated;
      jobId = page.next ? `${tenantId}-recheck-${now.getTime()}-${page.next}` : null;
    }
    return evaluated;
  };
  const stays = async (tenantId: string, profileId: string) =>
    (await em().find(SegmentMembership, { tenantId, profileId }, { orderBy: { id: 'asc' } })).map((m) => ({
      enteredAt: m.enteredAt.toISOString(),
      exitedAt: m.exitedAt?.toISOString() ?? null,
    }));
  /** Runs the creation backfill (one page here) at the real time. */
  const backfill = async (tenantId: string, segment: Segment) => {
    const job = await queue(EVALUATE_SEGMENT_PAGE).getJob(`${tenantId}-backfill-${segment.id}-v${segment.version}-start`);
    await evaluateSegmentPage(job!, profiles.deps);
  };

  it('"not seen for 30 days" admits a profile once time passes, and lets it go when it comes back', async () => {
    const t = tenant('dormant');
    const active = await profile(t, 'active');
    const lapsed = await profile(t, 'lapsed');
    await track(t, active, 'Logged In', at(0));
    await track(t, lapsed, 'Logged In', at(-40 * DAY));
    const segment = await segments(t).create({ name: 'Dormant', condition: { notSeenForDays: 30 } });
    expect(segment.timeBased).toBe(true);
    await backfill(t, segment);
    expect(await stays(t, lapsed)).toHaveLength(1);
    expect(await stays(t, active)).toEqual([]);

    const sub = await listenTo(listener, profiles.deps.redis, SEGMENT_MEMBERSHIP_CHANGED, t, env.config.queuePrefix);
    try {
      // 31 days later, no event in between: the re-check finds the active profile crossed the edge
      const later = at(31 * DAY);
      expect(await tick(t, later)).toBeGreaterThanOrEqual(1);
      expect(await stays(t, active)).toEqual([{ enteredAt: later.toISOString(), exitedAt: null }]);
      await waitFor(() => sub.events.length >= 1);
      expect(sub.events).toEqual([expect.objectContaining({ profileId: active, change: 'entered', at: later.toISOString() })]);

      // it comes back: the profile's own evaluation (after its event) records the exit
      const back = at(32 * DAY);
      await track(t, active, 'Logged In', back);
      expect(await evaluate(t, active, back)).toEqual({ entered: 0, exited: 1 });
      expect(await stays(t, active)).toEqual([{ enteredAt: later.toISOString(), exitedAt: back.toISOString() }]);
      await waitFor(() => sub.events.length >= 2);
      expect(sub.events[1]).toMatchObject({ profileId: active, change: 'exited', at: back.toISOString() });
    } finally {
      await sub.stop();
    }
    // the lapsed profile stayed in all along
    expect(await stays(t, lapsed)).toEqual([{ enteredAt: expect.any(String), exitedAt: null }]);
  });

  it('"performed Order Completed at least twice in 7 days" lets a buyer go as orders leave the window', async () => {
    const t = tenant('buyers');
    const buyer = await profile(t, 'buyer');
    await track(t, buyer, 'Order Completed', at(-60 * MINUTE));
    await track(t, buyer, 'Order Completed', at(0));
    await track(t, buyer, 'Page Viewed', at(0));
    const segment = await segments(t).create({
      name: 'Repeat buyers',
      condition: { performed: { event: 'Order Completed', atLeast: 2, withinDays: 7 } },
    });
    expect(await evaluate(t, buyer, at(0))).toEqual({ entered: 1, exited: 0 });

    // six days on, both orders are inside the window; the profile is not even revisited
    expect(await tick(t, at(6 * DAY))).toBe(0);
    expect(await stays(t, buyer)).toEqual([{ enteredAt: at(0).toISOString(), exitedAt: null }]);

    // seven days and a half hour after the last order, the first one has left the window
    const gone = at(7 * DAY + 30 * MINUTE);
    expect(await tick(t, gone)).toBe(1);
    expect(await stays(t, buyer)).toEqual([{ enteredAt: at(0).toISOString(), exitedAt: gone.toISOString() }]);
    const stored = await em().findOneOrFail(Segment, { id: segment.id });
    expect(stored.checkedThrough).toEqual(gone);
  });

  it('revisits nobody on a tick where no event crossed a window edge', async () => {
    const t = tenant('quiet');
    const someone = await profile(t, 'someone');
    await track(t, someone, 'Logged In', at(-2 * DAY));
    const segment = await segments(t).create({ name: 'Dormant', condition: { notSeenForDays: 30 } });
    await backfill(t, segment);
    await tick(t, at(5 * MINUTE));
    // five minutes later nothing can have changed
    expect(await tick(t, at(10 * MINUTE))).toBe(0);
  });

  it('leaves tenants without time-based segments out of the tick', async () => {
    const timeless = tenant('timeless');
    await segments(timeless).create({ name: 'Pro', condition: { path: 'traits.plan', op: 'eq', value: 'pro' } });
    const tenants = await recheckSegments({ id: 'tick' }, profiles.deps, at(DAY));
    expect(tenants).not.toContain(timeless);
    expect(tenants).toContain(tenant('dormant'));
  });

  it('is driven by a BullMQ job scheduler every SEGMENT_RECHECK_INTERVAL_MS', async () => {
    const since = Date.now();
    const running = await runSubgraph(profilesSubgraph, env.config, { port: 0 });
    try {
      const schedulers = await queue(RECHECK_SEGMENTS).getJobSchedulers();
      expect(schedulers).toEqual([expect.objectContaining({ key: RECHECK_SCHEDULER_ID, every: 400 })]);
      // ticks fire and fan out: a re-check page chain for a tenant with time-based segments runs
      const scheduled = async () =>
        (await queue(EVALUATE_SEGMENT_PAGE).getJobs(['completed'])).filter(
          (job) => job.data.kind === 'recheck' && job.data.tenantId === tenant('dormant') && Date.parse(job.data.now) >= since,
        );
      await waitFor(async () => (await scheduled()).length >= 1);
      await waitFor(async () => (await queue(RECHECK_SEGMENTS).getJobCounts('completed')).completed >= 1);
    } finally {
      await running.close();
    }
  });
});
