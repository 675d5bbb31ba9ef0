// Detection benchmark: events/s through the `detect-friction` worker and event→signal latency at a
// sustained rate, against a no-op BullMQ worker on the same queue (same concurrency, connection and
// queue options) in the same run. `npm run bench:detect`; knobs: BENCH_DETECT_EVENTS (events in
// the drain phase, default 5000), BENCH_DETECT_RATE (events/s of the sustained phase, default 100),
// BENCH_DETECT_SECONDS (length of the sustained phase, default 15), BENCH_DETECT_CONCURRENCY
// (default 8). SQLite. Prints a table and writes bench/results/detect.json.
//
// Workload: per profile, 10 events in the order an app sends them: 2 × `Screen Viewed`, 3 × `ID
// Upload Failed` within a minute (a retry loop on the third), 4 × `Element Clicked` on one button
// within a second (rage clicks on the fourth) and an `NPS Submitted` with score 3 (negative
// feedback): 3 signals per 10 events. Events are stored resolved (profileId set, processedAt), as
// the event-resolved worker leaves them, and a detect job is queued per event.
// - drain: every job of the workload queued at once; events/s = jobs ÷ time from the first add to
//   the last completion.
// - sustained: events stored and queued in 50 ms ticks at the rate; job latency = queued → completed
//   (QueueEvents); event→signal latency = the trigger event stored → its SIGNAL_DETECTED received
//   by a Redis subscriber in this process (real worker only).
import 'reflect-metadata';

import { cpus, loadavg } from 'node:os';

import { Queue, QueueEvents } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { initOrm, type Orm } from '../subgraphs/common/orm';
import { createRedisPubSub, SIGNAL_DETECTED, type FsPubSub, type SignalDetectedEvent } from '../subgraphs/common/pubsub';
import { DETECT_FRICTION, queueOptions, queuePrefix, type JobPayloads } from '../subgraphs/common/queues';
import { createRedis } from '../subgraphs/common/redis';
import { Shutdown } from '../subgraphs/common/shutdown';
import { forkAcrossTenants } from '../subgraphs/common/tenant-filter';
import { signalsSubgraph } from '../subgraphs/signals';
import { Event } from '../subgraphs/signals/entities/event.entity';
import { createBenchEnv, type BenchEnv } from './lib/bench-env';
import { Child } from './lib/child';
import type { StartDetectWorkerRequest } from './lib/detect-worker-process';
import { intEnv, machineMeta, packageVersion, percentile, round2, say, table, writeResults } from './lib/report';

const DRAIN_EVENTS = intEnv('BENCH_DETECT_EVENTS', 5000);
const RATE = intEnv('BENCH_DETECT_RATE', 100);
const SECONDS = intEnv('BENCH_DETECT_SECONDS', 15);
const CONCURRENCY = intEnv('BENCH_DETECT_CONCURRENCY', 8);
const TICK_MS = 50;
const PER_PROFILE = 10;
const SIGNALS_PER_PROFILE = 3;

type Mode = 'real' | 'noop';
type Job = JobPayloads[typeof DETECT_FRICTION];

interface Row {
  tenantId: string;
  profileId: string;
  name: string;
  offsetMs: number;
  properties: Record<string, unknown>;
  /** The signal type this event completes, if it is a trigger. */
  triggers: string | null;
}

/** One profile's scripted events (see the header). */
function profileScript(tenantId: string): Row[] {
  const profileId = uuidv7();
  const row = (name: string, offsetMs: number, properties: Record<string, unknown> = {}, triggers: string | null = null): Row => ({
    tenantId,
    profileId,
    name,
    offsetMs,
    properties,
    triggers,
  });
  return [
    row('Screen Viewed', 0, { screen: 'home' }),
    row('Screen Viewed', 5_000, { screen: 'onboarding' }),
    row('ID Upload Failed', 10_000, { reason: 'blurry' }),
    row('ID Upload Failed', 30_000, { reason: 'glare' }),
    row('ID Upload Failed', 50_000, { reason: 'blurry' }, 'retry_loop'),
    row('Element Clicked', 60_000, { element: '#submit' }),
    row('Element Clicked', 60_250, { element: '#submit' }),
    row('Element Clicked', 60_500, { element: '#submit' }),
    row('Element Clicked', 60_750, { element: '#submit' }, 'rage_click'),
    row('NPS Submitted', 120_000, { score: 3 }, 'negative_feedback'),
  ];
}

class Harness {
  private constructor(
    readonly env: BenchEnv,
    readonly orm: Orm,
    readonly queue: Queue<Job>,
    readonly events: QueueEvents,
    readonly pubSub: FsPubSub,
    readonly shutdown: Shutdown,
  ) {}

  static async open(env: BenchEnv): Promise<Harness> {
    const shutdown = new Shutdown();
    const orm = await initOrm(env.config, signalsSubgraph.orm, shutdown);
    const redis = createRedis(env.config.redisUrl, shutdown, 'bench-detect-parent');
    const queue = new Queue<Job>(DETECT_FRICTION, queueOptions(redis, env.config.queuePrefix));
    shutdown.defer(() => queue.close());
    const events = new QueueEvents(DETECT_FRICTION, { connection: createRedis(env.config.redisUrl, shutdown, 'bench-detect-events'), prefix: queuePrefix(env.config.queuePrefix) });
    shutdown.defer(() => events.close());
    await events.waitUntilReady();
    const pubSub = await createRedisPubSub(env.config.redisUrl, env.config.queuePrefix, shutdown);
    return new Harness(env, orm, queue, events, pubSub, shutdown);
  }

  /** Stores rows as resolved events; returns their ids in order. */
  async store(rows: Row[], base: number): Promise<string[]> {
    const em = forkAcrossTenants(this.orm);
    const now = new Date();
    const entities = rows.map((r) =>
      em.create(Event, {
        tenantId: r.tenantId,
        messageId: uuidv7(),
        type: 'track',
        name: r.name,
        userId: r.profileId,
        properties: r.properties,
        timestamp: new Date(base + r.offsetMs),
        receivedAt: now,
        profileId: r.profileId,
        processedAt: now,
      }),
    );
    await em.flush();
    return entities.map((e) => e.id);
  }

  enqueue(rows: Row[], ids: string[], phase: string): Promise<unknown> {
    return this.queue.addBulk(
      rows.map((r, i) => ({
        name: DETECT_FRICTION,
        data: { tenantId: r.tenantId, eventId: ids[i], profileId: r.profileId },
        opts: { jobId: `${r.tenantId}-${ids[i]}-${phase}` },
      })),
    );
  }

  async counts(): Promise<{ completed: number; failed: number; pending: number }> {
    const c = await this.queue.getJobCounts('completed', 'failed', 'waiting', 'active', 'delayed', 'prioritized');
    return { completed: c.completed, failed: c.failed, pending: c.waiting + c.active + c.delayed + c.prioritized };
  }

  /** Removes this queue's jobs (bench prefix only) between phases. */
  async clear(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }
}

interface DrainResult {
  mode: Mode;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  failed: number;
  signals: number;
}

interface SustainedResult {
  mode: Mode;
  targetRate: number;
  achievedRate: number;
  events: number;
  failed: number;
  jobLatency: { p50: number; p99: number; max: number; n: number };
  signalLatency: { p50: number; p99: number; max: number; n: number; expected: number } | null;
}

async function withWorker<T>(env: BenchEnv, mode: Mode, run: () => Promise<T>): Promise<T> {
  const child = await Child.start('detect-worker-process', `${mode} worker`, env.vars, []);
  try {
    await child.call('start', { mode, concurrency: CONCURRENCY } satisfies StartDetectWorkerRequest);
    return await run();
  } finally {
    await child.stop();
  }
}

async function drain(h: Harness, mode: Mode): Promise<DrainResult> {
  const tenantId = `drain-${mode}`;
  const rows = Array.from({ length: Math.ceil(DRAIN_EVENTS / PER_PROFILE) }, () => profileScript(tenantId)).flat();
  const ids = await h.store(rows, Date.now() - 3_600_000);
  say(`drain (${mode}): ${rows.length} events stored, queueing their jobs…`);
  return withWorker(h.env, mode, async () => {
    const started = performance.now();
    for (let i = 0; i < rows.length; i += 1000) await h.enqueue(rows.slice(i, i + 1000), ids.slice(i, i + 1000), 'drain');
    let c = await h.counts();
    while (c.completed + c.failed < rows.length) {
      await new Promise((r) => setTimeout(r, 20));
      c = await h.counts();
    }
    const seconds = (performance.now() - started) / 1000;
    const em = forkAcrossTenants(h.orm);
    const signals = Number(((await em.getConnection().execute('select count(*) as n from signal where tenant_id = ?', [tenantId])) as { n: number }[])[0].n);
    await h.clear();
    return { mode, events: rows.length, seconds: round2(seconds), eventsPerSecond: round2(rows.length / seconds), failed: c.failed, signals };
  });
}

async function sustained(h: Harness, mode: Mode): Promise<SustainedResult> {
  const tenantId = `rate-${mode}`;
  const perTick = (RATE * TICK_MS) / 1000;
  const totalTicks = Math.round((SECONDS * 1000) / TICK_MS);
  const added = new Map<string, number>();
  const jobLatencies: number[] = [];
  const triggerStored = new Map<string, number>();
  const signalLatencies: number[] = [];
  const onCompleted = ({ jobId }: { jobId: string }) => {
    const t = added.get(jobId);
    if (t !== undefined) jobLatencies.push(performance.now() - t);
  };
  h.events.on('completed', onCompleted);
  const iterator = (h.pubSub.subscribe(SIGNAL_DETECTED, tenantId) as AsyncIterable<SignalDetectedEvent>)[Symbol.asyncIterator]();
  const listening = (async () => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      const t = triggerStored.get(`${next.value.profileId}-${next.value.type}`);
      if (t !== undefined) signalLatencies.push(performance.now() - t);
    }
  })();
  await new Promise((r) => setTimeout(r, 200)); // the SUBSCRIBE reaches Redis
  try {
    return await withWorker(h.env, mode, async () => {
      const pending: Row[] = [];
      let sent = 0;
      let carry = 0;
      const started = performance.now();
      for (let tick = 0; tick < totalTicks; tick++) {
        carry += perTick;
        const n = Math.floor(carry);
        carry -= n;
        while (pending.length < n) pending.push(...profileScript(tenantId));
        const batch = pending.splice(0, n);
        if (batch.length) {
          const ids = await h.store(batch, Date.now() - 600_000);
          const storedAt = performance.now();
          batch.forEach((r) => r.triggers && triggerStored.set(`${r.profileId}-${r.triggers}`, storedAt));
          batch.forEach((r, i) => added.set(`${r.tenantId}-${ids[i]}-rate`, storedAt));
          await h.enqueue(batch, ids, 'rate');
          sent += batch.length;
        }
        const wait = started + (tick + 1) * TICK_MS - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const sendSeconds = (performance.now() - started) / 1000;
      // let the last jobs and signals land
      const deadline = Date.now() + 30_000;
      let c = await h.counts();
      while (c.completed + c.failed < sent && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        c = await h.counts();
      }
      await new Promise((r) => setTimeout(r, 500));
      const stats = (xs: number[]) => {
        const s = Float64Array.from(xs).sort();
        return { p50: round2(percentile(s, 50)), p99: round2(percentile(s, 99)), max: round2(s.length ? s[s.length - 1] : NaN), n: s.length };
      };
      await h.clear();
      return {
        mode,
        targetRate: RATE,
        achievedRate: round2(sent / sendSeconds),
        events: sent,
        failed: c.failed,
        jobLatency: stats(jobLatencies),
        signalLatency: mode === 'real' ? { ...stats(signalLatencies), expected: triggerStored.size } : null,
      };
    });
  } finally {
    h.events.off('completed', onCompleted);
    await iterator.return?.();
    await listening;
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  const env = await createBenchEnv();
  say(`detect benchmark: ${env.database}, concurrency ${CONCURRENCY}, drain ${DRAIN_EVENTS} events, sustained ${RATE} events/s for ${SECONDS}s`);
  const h = await Harness.open(env);
  const drains: DrainResult[] = [];
  const rates: SustainedResult[] = [];
  try {
    for (const mode of ['noop', 'real'] as const) drains.push(await drain(h, mode));
    for (const mode of ['noop', 'real'] as const) {
      say(`sustained (${mode}): ${RATE} events/s for ${SECONDS}s…`);
      rates.push(await sustained(h, mode));
    }
  } finally {
    await h.shutdown.run();
    await env.cleanup();
  }
  const d = (m: Mode) => drains.find((x) => x.mode === m)!;
  const r = (m: Mode) => rates.find((x) => x.mode === m)!;
  const fmt = (n: number | undefined) => (n === undefined || Number.isNaN(n) ? '–' : n.toFixed(1));
  const rows = [
    ['worker', 'drain events/s', 'failed', 'signals', `job p50 ms @${RATE}/s`, 'job p99 ms', 'event→signal p50 ms', 'event→signal p99 ms'],
    ...(['noop', 'real'] as const).map((m) => [
      m === 'noop' ? 'no-op BullMQ worker (baseline)' : 'detect-friction worker',
      d(m).eventsPerSecond.toFixed(0),
      String(d(m).failed + r(m).failed),
      String(d(m).signals),
      fmt(r(m).jobLatency.p50),
      fmt(r(m).jobLatency.p99),
      fmt(r(m).signalLatency?.p50),
      fmt(r(m).signalLatency?.p99),
    ]),
  ];
  const ratio = round2(d('real').eventsPerSecond / d('noop').eventsPerSecond);
  const loadAtEnd = loadavg()[0];
  console.log('');
  console.log(`Detection benchmark: SQLite, worker concurrency ${CONCURRENCY}, each worker in its own process; Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}.`);
  console.log(`Load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end.`);
  console.log('');
  console.log(table(rows));
  console.log('');
  console.log(`real / no-op drain throughput: ${ratio}×; sustained rate achieved ${r('real').achievedRate} events/s (real), ${r('noop').achievedRate} (no-op).`);
  const sig = r('real').signalLatency!;
  console.log(`signals received in the sustained phase: ${sig.n} of ${sig.expected} expected (max ${fmt(sig.max)} ms); drain signals ${d('real').signals} of ${(d('real').events / PER_PROFILE) * SIGNALS_PER_PROFILE} expected.`);
  const report = {
    meta: {
      ...machineMeta(loadAtStart),
      loadAverageAtEnd: round2(loadAtEnd),
      database: env.database,
      concurrency: CONCURRENCY,
      drainEvents: DRAIN_EVENTS,
      sustainedRate: RATE,
      sustainedSeconds: SECONDS,
      versions: Object.fromEntries(['bullmq', 'ioredis', '@mikro-orm/core', 'better-sqlite3'].map((p) => [p, packageVersion(p)])),
      workload: 'per profile: 2 Screen Viewed, 3 ID Upload Failed in 40 s (retry loop), 4 Element Clicked on #submit in 0.75 s (rage click), NPS 3 (negative feedback): 3 signals per 10 events',
      notes: [
        'drain: every job queued at once (addBulk of 1000), events/s = jobs ÷ (first add → last completion); the worker runs in a child process, the producer and counters in this one.',
        'job latency: queued → completed (QueueEvents) at the sustained rate; event→signal: trigger event stored → SIGNAL_DETECTED received by a Redis subscriber in this process.',
        'baseline: a no-op processor on the same queue, same concurrency, same connection and job options, same process layout.',
      ],
      wallSeconds: Math.round((Date.now() - started) / 1000),
    },
    drain: drains,
    sustained: rates,
    ratio,
  };
  writeResults('detect', report);
  console.log(`\nwritten: bench/results/detect.json (${report.meta.wallSeconds}s in all)`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`detect benchmark failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
