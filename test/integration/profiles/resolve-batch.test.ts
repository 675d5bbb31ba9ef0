import { Queue } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { initOrm, type Orm } from '../../../subgraphs/common/orm';
import { queueOptions, RESOLVE_IDENTITY, type EventToResolve } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { profilesSubgraph } from '../../../subgraphs/profiles';
import { Identity } from '../../../subgraphs/profiles/entities/identity.entity';
import { Profile } from '../../../subgraphs/profiles/entities/profile.entity';
import { ProfileEvent } from '../../../subgraphs/profiles/entities/profile-event.entity';
import { ProfileMerge } from '../../../subgraphs/profiles/entities/profile-merge.entity';
import { CHUNK_EVENTS } from '../../../subgraphs/profiles/services/batch-resolution.service';
import { resolveEvent, resolveIdentity } from '../../../subgraphs/profiles/workers/resolve-identity.worker';
import { resolveJob } from '../../fixtures/resolve-identity-job';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

const HOUR = 3600_000;
/** CPU time of this process so far, ms (wall time means little on a shared machine). */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const DAY = 24 * HOUR;

/**
 * 100 events of 30 customers, interleaved as an ingest request would carry them: anonymous
 * browsing, an identify, a purchase; three customers send an older identify that arrives last,
 * three more browse on a second device that their identify then merges; one event of nobody (junk
 * ids). Times are fixed offsets from `base`, so two tenants get the same history.
 */
function history(tenantId: string, base: number): EventToResolve[] {
  const perCustomer: EventToResolve[][] = [];
  for (let c = 0; c < 30; c++) {
    const at = (hours: number) => new Date(base - 20 * DAY + c * HOUR + hours * HOUR).toISOString();
    const dev = `dev-${c}`;
    const user = `user-${c}`;
    const events = [
      resolveJob(tenantId, { anonymousId: dev, name: 'Product Viewed', timestamp: at(0) }),
      resolveJob(tenantId, { type: 'identify', name: null, anonymousId: dev, userId: user, traits: { email: `C${c}@Example.com`, plan: 'pro', seats: c }, timestamp: at(2) }),
      resolveJob(tenantId, { userId: user, name: 'Order Completed', properties: { revenue: 10 + c }, timestamp: at(3) }),
    ];
    if (c % 10 === 0) {
      events.push(resolveJob(tenantId, { anonymousId: `${dev}-b`, type: 'page', name: 'Pricing', timestamp: at(4) }));
      events.push(resolveJob(tenantId, { type: 'identify', name: null, anonymousId: `${dev}-b`, userId: user, traits: { city: 'Oslo' }, timestamp: at(5) }));
    } else if (c < 4) {
      // an older identify arriving late: last-write-wins keeps plan 'pro'
      events.push(resolveJob(tenantId, { type: 'identify', name: null, userId: user, traits: { plan: 'free', phone: `+47 555 ${c}` }, timestamp: at(1) }));
    }
    perCustomer.push(events);
  }
  const all: EventToResolve[] = [resolveJob(tenantId, { userId: 'undefined', anonymousId: '0' })];
  while (perCustomer.some((e) => e.length)) {
    for (const events of perCustomer) if (events.length) all.push(events.shift()!);
  }
  return all;
}

describe('resolveIdentity, set-based', () => {
  let env: TestEnv;
  let profiles: RunningSubgraph;
  // a second ORM on the same database, only for the runs whose statements are counted (the
  // running subgraph's workers use their own)
  let counted: Orm;
  let statements = 0;

  beforeAll(async () => {
    env = await createTestEnv();
    profiles = await runSubgraph(profilesSubgraph, env.config, { port: 0 });
    counted = await initOrm(env.config, profilesSubgraph.orm);
    counted.em.getConnection().getKnex().on('query', () => statements++);
  });
  afterAll(async () => {
    await counted?.close(true);
    await profiles?.close();
    await env?.cleanup();
  });

  const em = () => forkAcrossTenants(profiles.deps.orm);
  const countedDeps = () => ({ ...profiles.deps, orm: counted });

  /** Everything the profiles stage stored for a tenant, without generated ids and times. */
  async function snapshot(tenantId: string) {
    const rows = await em().find(Profile, { tenantId }, { populate: ['identities'] });
    const events = await em().find(ProfileEvent, { tenantId });
    const merges = await em().count(ProfileMerge, { tenantId });
    const byProfile = rows.map((p) => ({
      identities: p.identities
        .getItems()
        .map((i) => `${i.type}:${i.value}`)
        .sort(),
      traits: p.traits,
      traitTimestamps: p.traitTimestamps,
      computedTraits: { ...p.computedTraits, computedAt: null },
      merged: p.mergedFrom.length,
      events: events
        .filter((e) => e.profileId === p.id)
        .map((e) => e.eventId)
        .sort(),
    }));
    return { profiles: byProfile.sort((a, b) => a.identities.join().localeCompare(b.identities.join())), merges };
  }

  it('builds a history of 100 events', () => expect(history('x', 0)).toHaveLength(100));

  it('stores what the per-event path stores for 100 events of 30 customers, in a fraction of the statements', async () => {
    const base = Date.now();
    const perEvent = history('per-event', base);
    const batch = history('batch', base);
    // the same events (ids too) in both tenants
    batch.forEach((e, i) => Object.assign(e, { eventId: perEvent[i].eventId, messageId: perEvent[i].messageId }));

    statements = 0;
    let started = cpuMs();
    for (const event of perEvent) await resolveEvent(event, countedDeps());
    const perEventMs = cpuMs() - started;
    const perEventStatements = statements;

    statements = 0;
    started = cpuMs();
    const outcomes = await resolveIdentity({ id: 'batch-100', data: { tenantId: 'batch', events: batch } }, countedDeps());
    const batchMs = cpuMs() - started;
    const batchStatements = statements;

    expect(outcomes[0]).toBeNull();
    expect(outcomes.filter((o) => o?.action === 'merge')).toHaveLength(3);
    const [expected, actual] = await Promise.all([snapshot('per-event'), snapshot('batch')]);
    expect(actual.profiles).toHaveLength(30);
    expect(actual).toEqual(expected);
    // the figures for the report: statements and wall time per event, per-event path vs batch
    process.stdout.write(
      `resolve 100 events/30 customers (3 merges): per-event ${perEventStatements} statements (${(perEventStatements / 100).toFixed(2)}/event, ${(perEventMs / 100).toFixed(2)} CPU ms/event); ` +
        `batch ${batchStatements} statements (${(batchStatements / 100).toFixed(2)}/event, ${(batchMs / 100).toFixed(2)} CPU ms/event)\n`,
    );
    expect(batchStatements).toBeLessThan(perEventStatements / 3);
    // 100 events one at a time take a while on PostgreSQL on a busy machine
  }, 180_000);

  it('writes a job without merges in a handful of statements', async () => {
    const events = history('no-merge', Date.now()).filter((e) => !(e.anonymousId ?? '').endsWith('-b'));
    statements = 0;
    const started = cpuMs();
    const outcomes = await resolveIdentity({ id: 'no-merge', data: { tenantId: 'no-merge', events } }, countedDeps());
    const ms = cpuMs() - started;
    expect(outcomes.every((o) => o === null || o.action !== 'merge')).toBe(true);
    process.stdout.write(`resolve ${events.length} events/30 customers (no merge): ${statements} statements (${(statements / events.length).toFixed(3)}/event, ${(ms / events.length).toFixed(2)} CPU ms/event)\n`);
    // reads: identities, profiles, their user ids, recorded events; per chunk of CHUNK_EVENTS: lock,
    // profiles, identities (+ read back), events, aggregate, profile states, begin and commit
    expect(statements).toBeLessThanOrEqual(4 + 9 * Math.ceil(events.length / CHUNK_EVENTS));
    expect(await em().count(Profile, { tenantId: 'no-merge' })).toBe(30);
  });

  it('is harmless when replayed: nothing changes, every event reported where it landed', async () => {
    const t = 'replayed';
    const events = history(t, Date.now());
    const first = await resolveIdentity({ id: 'r-1', data: { tenantId: t, events } }, profiles.deps);
    const before = await snapshot(t);
    const updatedAt = (await em().find(Profile, { tenantId: t })).map((p) => p.updatedAt.getTime()).sort();
    const again = await resolveIdentity({ id: 'r-1', data: { tenantId: t, events } }, profiles.deps);
    // an event that landed on a profile merged later in the job is reported on the survivor now
    const survivorOf = new Map(first.flatMap((o) => (o ? o.mergedIds.map((id) => [id, o.profileId] as const) : [])));
    const now = (o: (typeof first)[number]) => o && { profileId: survivorOf.get(o.profileId) ?? o.profileId, mergedIds: o.mergedIds };
    expect(survivorOf.size).toBe(3);
    expect(again.map(now)).toEqual(first.map(now));
    expect(again.every((o) => o === null || o.action === 'replay')).toBe(true);
    expect(await snapshot(t)).toEqual(before);
    expect((await em().find(Profile, { tenantId: t })).map((p) => p.updatedAt.getTime()).sort()).toEqual(updatedAt);
  });

  it('two jobs creating the same new customer at once end with one profile', async () => {
    const t = 'race';
    const job = (n: number) => ({
      id: `race-${n}`,
      data: {
        tenantId: t,
        events: [
          resolveJob(t, { anonymousId: 'new-device' }),
          resolveJob(t, { type: 'identify', name: null, anonymousId: 'new-device', userId: 'new-user', traits: { email: 'new@example.com', n } }),
          resolveJob(t, { anonymousId: `other-${n}` }),
        ],
      },
    });
    const [a, b] = await Promise.all([resolveIdentity(job(1), profiles.deps), resolveIdentity(job(2), profiles.deps)]);
    expect(new Set([a[0], a[1], b[0], b[1]].map((o) => o!.profileId)).size).toBe(1);
    expect(await em().count(Profile, { tenantId: t })).toBe(3);
    expect(await em().count(Identity, { tenantId: t, type: { $in: ['user_id', 'email'] } as never })).toBe(2);
    expect(await em().count(ProfileEvent, { tenantId: t })).toBe(6);
    expect(await em().count(ProfileMerge, { tenantId: t })).toBe(0);
  });

  it('resolves a 100-event job from the real queue', async () => {
    const t = 'queued';
    const events = history(t, Date.now());
    const queue = new Queue(RESOLVE_IDENTITY, queueOptions(profiles.deps.redis, env.config.queuePrefix));
    try {
      await queue.add(RESOLVE_IDENTITY, { tenantId: t, events }, { jobId: `${t}-${uuidv7()}` });
      await waitFor(async () => (await em().count(ProfileEvent, { tenantId: t })) === 99, 60_000);
    } finally {
      await queue.close();
    }
    expect(await em().count(Profile, { tenantId: t })).toBe(30);
  }, 120_000);
});
