import type { Knex } from 'knex';
import { Queue } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { PLAYBOOK_EVENTS, playbookEventsJobId, queueOptions, RECORD_ACTIVITY, SCORE_PROFILE, type PlaybookEventsBatch, type RecordActivityBatch, type RecordActivityJob } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../../../subgraphs/signals';
import { Event } from '../../../subgraphs/signals/entities/event.entity';
import { Signal } from '../../../subgraphs/signals/entities/signal.entity';
import { eventResolved } from '../../../subgraphs/signals/workers/event-resolved.worker';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';

const T0 = Date.parse('2026-11-25T10:00:00Z');
/** 40 customers × 5 events: a batch of 200. */
const CUSTOMERS = 40;
/** Statements one batch may cost, whatever its size: the stage is set-based. */
const MAX_STATEMENTS_PER_BATCH = 20;

type Draft = Pick<Event, 'type' | 'name' | 'properties' | 'traits'> & { atSec: number };
const track = (name: string, atSec: number, properties: Record<string, unknown> = {}): Draft => ({ type: 'track', name, properties, traits: {}, atSec });
const identify = (atSec: number, traits: Record<string, unknown>): Draft => ({ type: 'identify', name: null, properties: {}, traits, atSec });

/** Five events per customer, four kinds of customer: loops, error bursts, rage clicks + detractors, tickets. */
function historyOf(c: number): Draft[] {
  switch (c % 4) {
    case 0:
      return [identify(0, { plan: 'pro', seats: c }), track('ID Upload Failed', 10), track('ID Upload Failed', 70), track('ID Upload Failed', 130), track('Screen Viewed', 140)];
    case 1:
      return [0, 5, 10, 15, 20].map((s) => track('Error Occurred', s, { message: 'HTTP 500' }));
    case 2:
      return [track('Element Clicked', 0, { element: '#pay' }), track('Element Clicked', 0.3, { element: '#pay' }), track('Element Clicked', 0.6, { element: '#pay' }), track('Element Clicked', 0.9, { element: '#pay' }), track('NPS Submitted', 30, { score: 2 })];
    default:
      return [identify(0, { plan: 'free' }), track('Ticket Created', 60), track('Ticket Created', 3600), track('Ticket Created', 7200), track('Screen Viewed', 7300)];
  }
}

/** The signals stage on one 200-event batch of 40 customers, against the per-event path (real SQL, real Redis). */
describe('event-resolved batch (set-based signals stage)', () => {
  let env: TestEnv;
  let signals: RunningSubgraph;
  let activity: Queue<RecordActivityJob | RecordActivityBatch>;
  const customers = Array.from({ length: CUSTOMERS }, () => uuidv7());

  beforeAll(async () => {
    env = await createTestEnv();
    // no workers: the test runs the jobs itself; nothing consumes record-activity
    signals = await runSubgraph(signalsSubgraph, env.config, { port: 0, workers: false });
    activity = new Queue(RECORD_ACTIVITY, queueOptions(signals.deps.redis, env.config.queuePrefix));
  });
  afterAll(async () => {
    await activity?.close();
    await signals?.close();
    await env?.cleanup();
  });

  /** Stores the 200 events of a tenant, unprocessed, and returns them in batch order (by time, customers interleaved). */
  async function store(tenantId: string): Promise<Event[]> {
    const em = forkAcrossTenants(signals.deps.orm);
    const rows = customers.flatMap((profileId, c) =>
      historyOf(c).map((d) => {
        const at = new Date(T0 + c * 1000 + d.atSec * 1000);
        return em.create(Event, { tenantId, messageId: uuidv7(), type: d.type, name: d.name, properties: d.properties, traits: d.traits, userId: `u-${c}`, timestamp: at, receivedAt: at, profileId: null }, { persist: false });
      }),
    );
    await em.insertMany(rows);
    return rows.sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || a.id.localeCompare(b.id));
  }
  const profileOf = () => {
    const byUser = new Map(customers.map((p, c) => [`u-${c}`, p]));
    return (e: Event) => byUser.get(e.userId!)!;
  };

  /** Counts the SQL statements `run` sends. */
  async function countStatements<T>(run: () => Promise<T>): Promise<{ result: T; statements: number; ms: number }> {
    const knex = (signals.deps.orm.em.getConnection() as unknown as { getKnex(): Knex }).getKnex();
    let statements = 0;
    const listener = () => void statements++;
    knex.on('query', listener);
    const started = performance.now();
    try {
      const result = await run();
      return { result, statements, ms: performance.now() - started };
    } finally {
      knex.off('query', listener);
    }
  }
  const signalsOf = async (tenantId: string) =>
    (await forkAcrossTenants(signals.deps.orm).find(Signal, { tenantId }, { orderBy: { dedupeKey: 'asc' } })).map((s) => ({
      dedupeKey: s.dedupeKey,
      type: s.type,
      severity: s.severity,
      summary: s.evidence.summary,
      announced: s.announcedAt !== null,
    }));

  it('finds the same signals as the per-event path, in a bounded number of statements, and hands risk one batch', async () => {
    // the per-event path: each event alone, one job after the other
    const single = await store('per-event');
    const ownerA = profileOf();
    const perEvent = await countStatements(async () => {
      for (const e of single) await eventResolved({ id: `one-${e.id}`, data: { tenantId: 'per-event', eventId: e.id, profileId: ownerA(e) } }, signals.deps);
    });

    // the batch path: one job for all 200
    const events = await store('batch');
    const owner = profileOf();
    const refs = events.map((e) => ({ eventId: e.id, profileId: owner(e) }));
    const batch = await countStatements(() => eventResolved({ id: 'batch-1', data: { tenantId: 'batch', events: refs } }, signals.deps));
    await signals.deps.queues.flushAcks(); // the playbook-events hand-off is held for the ack window

    const expected = await signalsOf('per-event');
    expect(expected.map((s) => s.type).sort()).toEqual(
      [...Array(10).fill('retry_loop'), ...Array(10).fill('error_burst'), ...Array(10).fill('rage_click'), ...Array(10).fill('negative_feedback'), ...Array(10).fill('support_burst')].sort(),
    );
    expect(await signalsOf('batch')).toEqual(expected);
    expect(expected.every((s) => s.announced)).toBe(true);

    // one record-activity job: every event (identify traits included), every signal, by a deterministic id
    const jobId = `batch-batch-${events[0].id}-${events[events.length - 1].id}`;
    const job = await activity.getJob(jobId);
    expect(job).toBeDefined();
    const items = (job!.data as RecordActivityBatch).items;
    expect(batch.result.handedOn?.jobId).toBe(jobId);
    expect(items.filter((i) => i.kind === 'event').map((i) => (i as { eventId: string }).eventId)).toEqual(events.map((e) => e.id));
    const identifies = items.filter((i): i is Extract<RecordActivityJob, { kind: 'event' }> => i.kind === 'event' && i.type === 'identify');
    expect(identifies).toHaveLength(20);
    expect(identifies[0].traits).toEqual(expect.objectContaining({ plan: expect.any(String) }));
    const stored = await forkAcrossTenants(signals.deps.orm).find(Signal, { tenantId: 'batch' });
    expect(new Set(items.filter((i) => i.kind === 'signal').map((i) => (i as { signalId: string }).signalId))).toEqual(new Set(stored.map((s) => s.id)));
    expect((await activity.getJobs(['waiting', 'prioritized'])).filter((j) => j.data.tenantId === 'batch')).toHaveLength(1);
    // one playbook-events job for the actions stage: the named events, in order, with their profiles
    const playbookEvents = new Queue<PlaybookEventsBatch>(PLAYBOOK_EVENTS, queueOptions(signals.deps.redis, env.config.queuePrefix));
    try {
      const named = events.filter((e) => e.name !== null);
      const forRuns = await playbookEvents.getJob(playbookEventsJobId('batch', [named[0].id, named[named.length - 1].id]));
      expect(named.length).toBeGreaterThan(0);
      expect(forRuns?.data.events.map((e) => [e.eventId, e.profileId, e.name, e.occurredAt])).toEqual(named.map((e) => [e.id, owner(e), e.name, e.timestamp.toISOString()]));
    } finally {
      await playbookEvents.close();
    }
    // no score-profile from signals: risk re-scores the profiles it receives activity for
    const scores = new Queue(SCORE_PROFILE, queueOptions(signals.deps.redis, env.config.queuePrefix));
    try {
      expect(await scores.count()).toBe(0);
    } finally {
      await scores.close();
    }
    // every event processed and handed on; the hand-off stays pending until risk says it stored them
    const after = await forkAcrossTenants(signals.deps.orm).find(Event, { tenantId: 'batch' });
    expect(after.every((e) => e.processedAt !== null && e.handOffPendingSince !== null && e.profileId === owner(e))).toBe(true);

    expect(batch.statements).toBeLessThanOrEqual(MAX_STATEMENTS_PER_BATCH);
    const n = events.length;
    console.log(
      `signals stage, ${n} events of ${CUSTOMERS} customers (${process.env.FORESIGHT_TEST_DB ?? 'sqlite'}): ` +
        `per event ${(perEvent.statements / n).toFixed(2)} statements/event, ${(perEvent.ms / n).toFixed(2)} ms/event; ` +
        `one batch ${batch.statements} statements (${(batch.statements / n).toFixed(3)}/event), ${(batch.ms / n).toFixed(3)} ms/event`,
    );

    // a replay changes nothing: no new signal, no new job
    await eventResolved({ id: 'batch-1', data: { tenantId: 'batch', events: refs } }, signals.deps);
    expect(await signalsOf('batch')).toEqual(expected);
    expect((await activity.getJobs(['waiting', 'prioritized'])).filter((j) => j.data.tenantId === 'batch')).toHaveLength(1);
    // the per-event reference runs 200 jobs' worth of statements on a shared machine
  }, 180_000);
});
