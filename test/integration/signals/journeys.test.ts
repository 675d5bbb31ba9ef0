import { uuidv7 } from 'uuidv7';

import { signContext } from '../../../subgraphs/common/auth-context';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { JourneyDefinition } from '../../../subgraphs/signals/entities/journey-definition.entity';
import { JourneyInstance } from '../../../subgraphs/signals/entities/journey-instance.entity';
import type { FrictionFinding } from '../../../subgraphs/signals/domain/friction/finding';
import { Signal } from '../../../subgraphs/signals/entities/signal.entity';
import { JourneyService, tenantsWithActiveJourneys } from '../../../subgraphs/signals/services/journey.service';
import { SignalService } from '../../../subgraphs/signals/services/signal.service';
import { sweepFriction } from '../../../subgraphs/signals/workers/sweep-friction.worker';
import { gql } from '../../fixtures/stack';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const T0 = Date.parse('2026-11-25T09:00:00Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const at = (min: number) => new Date(T0 + min * MIN);

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

/** The signals subgraph with a real ORM, journeys advanced as the detect worker would. */
describe('JourneyService', () => {
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

  const service = (tenantId: string) => new JourneyService(forkAcrossTenants(signals.deps.orm), tenantId);

  async function define(tenantId: string, input: Record<string, unknown> = ONBOARDING): Promise<JourneyDefinition> {
    return service(tenantId).createDefinition(input as never);
  }

  /** A stored, resolved event (what the event-resolved worker leaves behind). */
  async function stored(tenantId: string, profileId: string, name: string, min: number, properties: Record<string, unknown> = {}): Promise<Event> {
    const em = forkAcrossTenants(signals.deps.orm);
    const event = em.create(Event, {
      tenantId,
      messageId: uuidv7(),
      type: 'track',
      name,
      properties,
      timestamp: at(min),
      receivedAt: at(min),
      profileId,
      processedAt: at(min),
    });
    await em.flush();
    return event;
  }

  const instancesOf = (tenantId: string, profileId: string) =>
    forkAcrossTenants(signals.deps.orm).find(JourneyInstance, { tenantId, profileId }, { orderBy: { startedAt: 'asc' } });

  describe('the bank-onboarding story', () => {
    const tenant = 'bank';
    const profile = uuidv7();
    let events: Event[];

    beforeAll(async () => {
      await define(tenant);
      events = [];
      for (const [name, min] of [
        ['Account Opening Started', 0],
        ['ID Upload Failed', 1],
        ['ID Upload Failed', 3],
        ['ID Upload Failed', 5],
      ] as const) {
        events.push(await stored(tenant, profile, name, min));
      }
    });

    it('reports a retry loop at the third failed upload, and again when the event is replayed', async () => {
      const results = [];
      for (const e of events) results.push(await service(tenant).advance(e));
      expect(results.slice(0, 3)).toEqual([[], [], []]);
      expect(results[3]).toHaveLength(1);
      const [loop] = results[3];
      expect(loop).toMatchObject({
        type: 'retry_loop',
        profileId: profile,
        detectedAt: at(5),
        evidence: { summary: '3 failed attempts ("ID Upload Failed") in 4 min at step "id_upload" of "Account opening"', attempts: 3 },
      });
      expect(loop.evidence.eventIds).toEqual(events.slice(1).map((e) => e.id));
      const [instance] = await instancesOf(tenant, profile);
      expect(loop.journeyInstanceId).toBe(instance.id);
      expect(instance).toMatchObject({ state: 'active', currentStep: 'started', startedAt: at(0), lastSeenAt: at(5), nextCheckAt: at(35) });

      // idempotent per event id: same findings, no new rows
      expect(await service(tenant).advance(events[3])).toEqual(results[3]);
      expect(await instancesOf(tenant, profile)).toHaveLength(1);
    });

    it('finds nothing while within every deadline, then exit, stall and abandonment as time passes', async () => {
      expect(await service(tenant).sweep(at(20))).toEqual([]);
      const exit = await service(tenant).sweep(at(36));
      expect(exit.map((f) => [f.type, f.detectedAt])).toEqual([['mid_journey_exit', at(35)]]);
      expect((await instancesOf(tenant, profile))[0]).toMatchObject({ state: 'active', exitedAt: at(35), nextCheckAt: at(120) });
      expect(await tenantsWithActiveJourneys(forkAcrossTenants(signals.deps.orm))).toContain(tenant);

      const stall = await service(tenant).sweep(at(121));
      expect(stall.map((f) => f.type)).toEqual(['stall']);
      expect((await instancesOf(tenant, profile))[0]).toMatchObject({ state: 'stalled', stalledStep: 'started', stalledAt: at(120) });
      expect(await service(tenant).sweep(at(122))).toEqual([]);

      const abandoned = await service(tenant).sweep(at(48 * 60 + 1));
      expect(abandoned.map((f) => [f.type, f.detectedAt])).toEqual([['abandonment', at(48 * 60)]]);
      expect((await instancesOf(tenant, profile))[0]).toMatchObject({ state: 'abandoned', abandonedAt: at(48 * 60), nextCheckAt: null });
      expect(await service(tenant).sweep(at(100 * 60))).toEqual([]);
      expect(await tenantsWithActiveJourneys(forkAcrossTenants(signals.deps.orm))).not.toContain(tenant);
    });

    it('starts a new instance when the customer starts again after abandonment', async () => {
      await service(tenant).advance(await stored(tenant, profile, 'Account Opening Started', 50 * 60));
      expect((await instancesOf(tenant, profile)).map((i) => i.state)).toEqual(['abandoned', 'active']);
    });
  });

  it('gives the same instance whatever order the events arrive in', async () => {
    const tenant = 'ooo';
    await define(tenant);
    const script: [string, number][] = [
      ['Account Opening Started', 0],
      ['ID Upload Failed', 2],
      ['ID Uploaded', 4],
      ['Details Submitted', 10],
      ['Account Opened', 15],
    ];
    const shapes = [];
    for (const order of [[0, 1, 2, 3, 4], [4, 3, 2, 1, 0], [2, 0, 4, 1, 3]]) {
      const profile = uuidv7();
      const events = [];
      for (const [name, min] of script) events.push(await stored(tenant, profile, name, min));
      for (const i of order) await service(tenant).advance(events[i]);
      const instances = await instancesOf(tenant, profile);
      expect(instances).toHaveLength(1);
      const [i] = instances;
      expect(i.startEventId).toBe(events[0].id);
      shapes.push({ state: i.state, current: i.currentStep, steps: i.steps.map((s) => [s.key, s.reachedAt.getTime() - T0]), completedAt: i.completedAt, nextCheckAt: i.nextCheckAt });
    }
    expect(shapes[0]).toEqual({
      state: 'completed',
      current: 'opened',
      steps: [['started', 0], ['id_upload', 4 * MIN], ['details', 10 * MIN], ['opened', 15 * MIN]],
      completedAt: at(15),
      nextCheckAt: null,
    });
    expect(shapes[1]).toEqual(shapes[0]);
    expect(shapes[2]).toEqual(shapes[0]);
  });

  it('keeps several instances and journeys per profile, and moves a late start into its instance', async () => {
    const tenant = 'multi';
    await define(tenant);
    await define(tenant, { name: 'Loan', steps: [{ key: 'applied', event: 'Loan Applied' }, { key: 'approved', event: 'Loan Approved' }] });
    const profile = uuidv7();
    const run = async (name: string, min: number) => service(tenant).advance(await stored(tenant, profile, name, min));
    await run('Account Opening Started', 0);
    await run('Account Opened', 30);
    // a second application: a new instance, since the first one is complete
    await run('Account Opening Started', 120);
    await run('Loan Applied', 125);
    await run('Loan Applied', 600);
    // the second application's real start arrives late: it becomes that instance's start
    await run('Account Opening Started', 100);
    const instances = await instancesOf(tenant, profile);
    const defs = await service(tenant).listDefinitions();
    const nameOf = (i: JourneyInstance) => defs.find((d) => d.id === i.definitionId)!.name;
    expect(instances.map((i) => [nameOf(i), i.state, i.startedAt])).toEqual([
      ['Account opening', 'completed', at(0)],
      ['Account opening', 'active', at(100)],
      ['Loan', 'active', at(125)],
    ]);
    expect(instances[1].steps.map((s) => s.key)).toEqual(['started']);
    expect(instances[1].lastSeenAt).toEqual(at(600));
  });

  it('adopts steps that arrived before the first step', async () => {
    const tenant = 'adopt';
    await define(tenant);
    const profile = uuidv7();
    const upload = await stored(tenant, profile, 'ID Uploaded', 5);
    expect(await service(tenant).advance(upload)).toEqual([]);
    expect(await instancesOf(tenant, profile)).toEqual([]);
    await service(tenant).advance(await stored(tenant, profile, 'Account Opening Started', 0));
    const [instance] = await instancesOf(tenant, profile);
    expect(instance.steps.map((s) => [s.key, s.eventId])).toEqual([
      ['started', instance.startEventId],
      ['id_upload', upload.id],
    ]);
  });

  it('ends a mid-journey exit when the customer comes back with any event', async () => {
    const tenant = 'back';
    await define(tenant);
    const profile = uuidv7();
    await service(tenant).advance(await stored(tenant, profile, 'Account Opening Started', 0));
    expect((await service(tenant).sweep(at(31))).map((f) => f.type)).toEqual(['mid_journey_exit']);
    await service(tenant).advance(await stored(tenant, profile, 'Viewed FAQ', 40));
    expect((await instancesOf(tenant, profile))[0]).toMatchObject({ exitedAt: null, lastSeenAt: at(40), nextCheckAt: at(70) });
    const again = await service(tenant).sweep(at(71));
    expect(again.map((f) => [f.type, f.detectedAt])).toEqual([['mid_journey_exit', at(70)]]);
  });

  it('returns a loop completed by concurrently advanced events once, and again to replays of its events', async () => {
    const tenant = 'burst';
    await define(tenant);
    const profile = uuidv7();
    const events = [];
    for (const [name, min] of [['Account Opening Started', 0], ['ID Upload Failed', 1], ['ID Upload Failed', 2], ['ID Upload Failed', 3], ['Viewed FAQ', 4]] as const) {
      events.push(await stored(tenant, profile, name, min));
    }
    const burst = await Promise.all([...events].reverse().map((e) => service(tenant).advance(e)));
    expect(burst.flat().map((f) => f.type)).toEqual(['retry_loop']);
    const replayed = await Promise.all(events.map((e) => service(tenant).advance(e)));
    const keys = new Set(replayed.flat().map((f) => f.dedupeKey));
    expect(keys.size).toBe(1);
    // replays of the failed uploads return it, and so does a replay of whichever event reported it first
    const reportedBy = [...events].reverse()[burst.findIndex((r) => r.length === 1)].id;
    expect(replayed.map((r) => r.length)).toEqual(events.map((e, i) => ((i >= 1 && i <= 3) || e.id === reportedBy ? 1 : 0)));
  });

  it('stores sweep findings with the state change, and a later tick announces what a crash left unannounced', async () => {
    const tenant = 'sweep-tx';
    const profile = uuidv7();
    await define(tenant);
    await service(tenant).advance(await stored(tenant, profile, 'Account Opening Started', 0));
    // a sweep whose process dies right after its commit: findings stored, never announced
    const stores = (em: Parameters<NonNullable<Parameters<JourneyService['sweep']>[1]>>[0], found: FrictionFinding[]) =>
      Promise.all(found.map((f) => new SignalService(em, tenant).record(f))).then(() => undefined);
    const [exit] = await service(tenant).sweep(at(36), stores);
    const em = forkAcrossTenants(signals.deps.orm);
    const row = await em.findOneOrFail(Signal, { tenantId: tenant, dedupeKey: exit.dedupeKey });
    expect(row.announcedAt).toBeNull();
    // the next tick (the instance has nothing new due) still sends its follow-ups
    await sweepFriction(null, signals.deps, at(37));
    expect((await forkAcrossTenants(signals.deps.orm).findOneOrFail(Signal, { id: row.id })).announcedAt).toBeInstanceOf(Date);
  });

  it('ignores events of profiles that are not resolved yet', async () => {
    await define('unresolved');
    const event = await stored('unresolved', uuidv7(), 'Account Opening Started', 0);
    event.profileId = null;
    expect(await service('unresolved').advance(event)).toEqual([]);
  });

  describe('journeyFunnel', () => {
    const tenant = 'funnel';
    let definitionId: string;
    const signed = (scopes: string[]) => ({ 'x-foresight-context': signContext({ tenantId: tenant, keyId: 'k', scopes }, env.config.secret, 'signals', 60) });
    const FUNNEL = `query($id: ID!, $from: DateTimeISO, $to: DateTimeISO) {
      journeyFunnel(definitionId: $id, from: $from, to: $to) {
        entered completed completionRate active stalled abandoned
        steps { key reached conversion conversionFromStart medianTimeMs }
      }
    }`;

    beforeAll(async () => {
      definitionId = (await define(tenant)).id;
      // five customers: minutes at which each reached started / id_upload / details / opened
      const paths: (number | null)[][] = [
        [0, 2, 10, 20],
        [0, 4, 12, 30],
        [0, 6, null, null],
        [0, 10, null, null],
        [0, null, null, null],
      ];
      const names = ['Account Opening Started', 'ID Uploaded', 'Details Submitted', 'Account Opened'];
      for (const [n, path] of paths.entries()) {
        const profile = uuidv7();
        for (const [k, min] of path.entries()) {
          if (min !== null) await service(tenant).advance(await stored(tenant, profile, names[k], n * 60 * 24 + min));
        }
      }
      // at day 4 + 2 h: customer 2 (day 2) is past the 48 h SLA, customers 3 and 4 are past their step SLA
      await service(tenant).sweep(at(4 * 60 * 24 + 121));
    });

    it('counts entered, completed, reached, conversion and median time per step', async () => {
      const res = await gql(signals.url, FUNNEL, { id: definitionId }, signed(['profiles:read']));
      expect(res.errors).toBeUndefined();
      expect(res.data!.journeyFunnel).toEqual({
        entered: 5,
        completed: 2,
        completionRate: 0.4,
        active: 0,
        stalled: 2,
        abandoned: 1,
        steps: [
          { key: 'started', reached: 5, conversion: 1, conversionFromStart: 1, medianTimeMs: 5 * MIN },
          { key: 'id_upload', reached: 4, conversion: 0.8, conversionFromStart: 0.8, medianTimeMs: 8 * MIN },
          { key: 'details', reached: 2, conversion: 0.5, conversionFromStart: 0.4, medianTimeMs: 14 * MIN },
          { key: 'opened', reached: 2, conversion: 1, conversionFromStart: 0.4, medianTimeMs: null },
        ],
      });
    });

    it('narrows to the instances started in [from, to)', async () => {
      const res = await gql(signals.url, FUNNEL, { id: definitionId, from: at(24 * 60).toISOString(), to: at(3 * 24 * 60).toISOString() }, signed(['profiles:read']));
      expect(res.data!.journeyFunnel).toMatchObject({ entered: 2, completed: 1 });
      expect(res.data!.journeyFunnel.steps[0].medianTimeMs).toBe(5 * MIN);
    });

    it('answers NOT_FOUND for another tenant’s journey and BAD_USER_INPUT for an empty window', async () => {
      const other = await gql(signals.url, FUNNEL, { id: definitionId }, { 'x-foresight-context': signContext({ tenantId: 'other', keyId: 'k', scopes: ['profiles:read'] }, env.config.secret, 'signals', 60) });
      expect(other.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const empty = await gql(signals.url, FUNNEL, { id: definitionId, from: at(10).toISOString(), to: at(10).toISOString() }, signed(['profiles:read']));
      expect(empty.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('needs profiles:read', async () => {
      const res = await gql(signals.url, FUNNEL, { id: definitionId }, signed(['events:write']));
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    });
  });
});
