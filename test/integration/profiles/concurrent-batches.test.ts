import { initOrm, type Orm } from '../../../subgraphs/common/orm';
import type { EventToResolve } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { profilesSubgraph } from '../../../subgraphs/profiles';
import { Profile } from '../../../subgraphs/profiles/entities/profile.entity';
import { ProfileEvent } from '../../../subgraphs/profiles/entities/profile-event.entity';
import { ProfileMerge } from '../../../subgraphs/profiles/entities/profile-merge.entity';
import type { ResolveOutcome } from '../../../subgraphs/profiles/services/identity-resolution.service';
import { resolveIdentity } from '../../../subgraphs/profiles/workers/resolve-identity.worker';
import { resolveJob } from '../../fixtures/resolve-identity-job';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';

const USERS = 7;
const DEVICES = 3;

/**
 * The durability test's stream: per user and phase, an anonymous page on a new device (a new
 * profile), userId-only tracks, then events carrying both ids (the first of them merges the
 * device's profile into the user's), identifies with traits among them.
 */
function stream(tenantId: string, count: number): { event: EventToResolve; user: number }[] {
  const phase = Math.ceil(count / DEVICES);
  const base = Date.now() - 3_600_000;
  return Array.from({ length: count }, (_, i) => {
    const user = i % USERS;
    const device = Math.floor(i / phase);
    const j = Math.floor((i - device * phase) / USERS);
    const timestamp = new Date(base + i * 10).toISOString();
    const userId = `${tenantId}-user-${user}`;
    const anonymousId = `${tenantId}-anon-${user}-${device}`;
    if (j === 0) return { user, event: resolveJob(tenantId, { type: 'page', name: 'Home', anonymousId, timestamp }) };
    if (j <= 2) return { user, event: resolveJob(tenantId, { name: 'Product Added', userId, timestamp }) };
    if (j % 5 === 0) {
      return { user, event: resolveJob(tenantId, { type: 'identify', name: null, userId, anonymousId, traits: { email: `${user}@example.com`, seq: i }, timestamp }) };
    }
    return { user, event: resolveJob(tenantId, { name: 'Product Viewed', userId, anonymousId, timestamp }) };
  });
}

/**
 * Two or more resolve jobs holding the same customers at once: a job the sweeper queued again
 * next to the original, or jobs of one customer taken by concurrent workers. Whatever the
 * interleaving, every event must land on its user's surviving profile, and what the job reports
 * for it (what signals stores) must be that profile or one merged into it.
 */
describe('resolveIdentity, concurrent jobs of the same customers', () => {
  let env: TestEnv;
  let profiles: RunningSubgraph;
  let second: Orm;

  beforeAll(async () => {
    env = await createTestEnv();
    profiles = await runSubgraph(profilesSubgraph, env.config, { port: 0 });
    // a second connection pool, as a second worker process has
    second = await initOrm(env.config, profilesSubgraph.orm);
  });
  afterAll(async () => {
    await second?.close(true);
    await profiles?.close();
    await env?.cleanup();
  });

  /** Runs a job the way BullMQ does: retried until it completes. */
  async function run(id: string, tenantId: string, events: EventToResolve[], orm: Orm): Promise<(ResolveOutcome | null)[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await resolveIdentity({ id, data: { tenantId, events } }, { ...profiles.deps, orm });
      } catch (err) {
        if (attempt >= 5) throw err;
      }
    }
  }

  async function expectOneProfilePerUser(tenantId: string, sent: { event: EventToResolve; user: number }[], reported: Map<string, string>[]) {
    const em = forkAcrossTenants(profiles.deps.orm);
    const found = await em.find(Profile, { tenantId }, { populate: ['identities'] });
    const profileOfUser = new Map<number, Profile>();
    for (const profile of found) {
      const uid = profile.identities.getItems().find((i) => i.type === 'user_id')?.value;
      profileOfUser.set(Number(uid?.split('-').at(-1)), profile);
    }
    expect(found).toHaveLength(USERS);
    expect(profileOfUser.size).toBe(USERS);
    const userOf = new Map(sent.map((s) => [s.event.eventId, s.user]));
    const recorded = await em.find(ProfileEvent, { tenantId });
    expect(recorded).toHaveLength(sent.length);
    expect(recorded.filter((r) => r.profileId !== profileOfUser.get(userOf.get(r.eventId)!)!.id)).toEqual([]);
    const merges = await em.find(ProfileMerge, { tenantId });
    expect(found.flatMap((p) => p.mergedFrom).sort()).toEqual(merges.map((m) => m.mergedProfileId).sort());
    // what each job reported (signals stores it, and follows the merge notices from there)
    const misnamed = reported.flatMap((byEvent) =>
      [...byEvent].filter(([eventId, profileId]) => {
        const profile = profileOfUser.get(userOf.get(eventId)!)!;
        return profileId !== profile.id && !profile.mergedFrom.includes(profileId);
      }),
    );
    expect(misnamed).toEqual([]);
  }

  const reportedBy = (events: EventToResolve[], outcomes: (ResolveOutcome | null)[]) =>
    new Map(events.map((e, i) => [e.eventId, outcomes[i]!.profileId]));

  // two rounds: each takes ~20 s of SQLITE_BUSY retries on a loaded runner, and the interleavings vary run to run
  it.each([1, 2])('lands every event of a user on one surviving profile, whatever the interleaving (round %i)', async (round) => {
    const tenantId = `overlap-${round}`;
    const sent = stream(tenantId, 140);
    const events = sent.map((s) => s.event);
    // the original jobs (20 events, as ingest sends them), and the sweeper's (100, from the start)
    const original = Array.from({ length: 7 }, (_, b) => events.slice(b * 20, b * 20 + 20));
    const swept = [events.slice(0, 100), events.slice(100)];
    const jobs = [
      ...original.map((part, b) => run(`o-${b}`, tenantId, part, profiles.deps.orm).then((o) => reportedBy(part, o))),
      ...swept.map((part, b) => run(`s-${b}`, tenantId, part, second).then((o) => reportedBy(part, o))),
    ];
    const reported = await Promise.all(jobs);
    await expectOneProfilePerUser(tenantId, sent, reported);
  }, 120_000);
});
