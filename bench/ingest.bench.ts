// Ingestion benchmark: events/s through the Segment-compatible `POST /v1/batch` of the gateway
// (the real path) against the ceiling of the design, a bare node:http handler that does only the
// same JSON parse and the same multi-row INSERT into the same table of the same database. On
// SQLite and on PostgreSQL, in one run. `npm run bench:ingest`; knobs: BENCH_DURATION (s per
// measured run, default 6), BENCH_WARMUP (s, default 3), BENCH_CONNECTIONS (default 50),
// BENCH_BATCH (events per request, default 20), BENCH_ROUNDS (default 4: the
// targets alternate every round, so a slow spell of this shared machine falls on both), BENCH_DBS
// (`sqlite,postgres`), BENCH_PG_ADMIN_URL (where the throwaway database is created), BENCH_CPU_PROF
// (a folder: CPU profiles of the server processes over the first measured run of each target, and
// a summary of where the time went). Prints a table and writes bench/results/ingest.json.
//
// Real path: autocannon → gateway /v1/batch (Basic auth with an events:write key, body limit,
// key look-up, signed context) → signals service /v1/batch (plain node:http handler, signed-context
// check, admission: queue depth + per-key rate limit on Redis, validation of every event, one
// transaction of multi-row INSERT … ON CONFLICT DO NOTHING RETURNING id with rows stamped
// enqueuedAt, then one BullMQ resolve job carrying the request's events) → 200 with
// accepted/duplicates/errors.
// The signals service runs with `workers: false` and no profiles service runs, so the jobs are
// enqueued but nothing consumes them: what is measured is HTTP → durable write → enqueue, without
// the downstream pipeline competing for the same two CPUs.
import 'reflect-metadata';

import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';

import autocannon from 'autocannon';

import { signalsSubgraph } from '../subgraphs/signals';
import { createBenchEnv, type BenchEnv } from './lib/bench-env';
import { Child, type CpuSnapshot, type LoopDelay } from './lib/child';
import { summarizeCpuProfile, type ProfileSummary } from './lib/cpu-profile';
import type { StartGatewayRequest } from './lib/gateway-process';
import type { StartCeilingRequest, StartedCeiling, StoredStats } from './lib/ingest-ceiling-process';
import { createApiKey } from './lib/keys';
import { cpuMs, intEnv, machineMeta, packageVersion, percentile, round2, say, table, writeResults } from './lib/report';
import { applyMissingSchema } from './lib/schema-drift';
import type { StartSubgraphsRequest } from './lib/subgraphs-process';

const DURATION = intEnv('BENCH_DURATION', 6);
const WARMUP = intEnv('BENCH_WARMUP', 3);
const CONNECTIONS = intEnv('BENCH_CONNECTIONS', 50);
const BATCH_SIZE = intEnv('BENCH_BATCH', 20);
const ROUNDS = intEnv('BENCH_ROUNDS', 4);
const DATABASES = parseDatabases(process.env.BENCH_DBS ?? 'sqlite,postgres');
/** When set, the server processes are profiled over the first measured run of each target. */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ? resolve(process.env.BENCH_CPU_PROF) : '';
/** The goal of the issue: the real path at 0.7× the ceiling or better. */
const TARGET_RATIO = 0.7;
const TENANT = 'bench';
/** The ceiling writes under a tenant of its own, so what each path stored can be counted apart. */
const CEILING_TENANT = 'bench_ceiling';
/** Every 2xx body is checked for `"accepted":<batch size>`; one in this many is parsed and checked whole. */
const FULL_CHECK_EVERY = 25;

/**
 * Raised for the benchmark so admission control never answers 429: the per-key quota (default
 * 5000 events/s) and the queue depth at which ingestion pushes back (default 100000 waiting jobs;
 * nothing consumes the queue here, so it only grows).
 */
const RAISED_LIMITS: Record<string, string> = {
  INGEST_RATE_LIMIT_PER_SECOND: '1000000000',
  INGEST_MAX_QUEUE_DEPTH: '1000000000',
};

type Database = 'sqlite' | 'postgres';
type Target = 'real' | 'ceiling';

const TARGET_LABELS: Record<Target, string> = {
  real: 'real: gateway /v1/batch → signals',
  ceiling: 'ceiling: node:http parse + INSERT',
};

const LAYOUT =
  'load generator (autocannon) + orchestration in the main process; per database, three child processes started once: ' +
  'the signals service alone (workers: false), our gateway, and the ceiling server; the targets are measured one at a ' +
  'time (the idle ones stay up), order alternating per round; all on 127.0.0.1';

const NOTES = [
  `Admission limits raised for the run so they never answer 429: INGEST_RATE_LIMIT_PER_SECOND=${RAISED_LIMITS.INGEST_RATE_LIMIT_PER_SECOND}, ` +
    `INGEST_MAX_QUEUE_DEPTH=${RAISED_LIMITS.INGEST_MAX_QUEUE_DEPTH} (both checks still run on every request: one Redis LLEN and one rate-limiter Lua call).`,
  'Workers: the signals service runs with `workers: false` (no event-resolved worker, no sweeper) and no profiles service ' +
    'runs, so every resolve job is enqueued (one job per request carrying its events; rows are inserted already stamped enqueuedAt, as in production) but none is consumed: the ' +
    'comparison is HTTP → durable write (+ enqueue), not the downstream pipeline.',
  'The ceiling does the same JSON.parse and the same statements (`insertEventRows`: one transaction of multi-row ' +
    'INSERT … ON CONFLICT (tenantId, messageId) DO NOTHING RETURNING id) through the same MikroORM/knex driver into the ' +
    'same events table, with no auth, validation, admission, queue or extra hop; its rows go under a tenant of its own.',
  `Every request carries ${BATCH_SIZE} events with fresh messageIds (nothing is a duplicate). Every 2xx body is checked ` +
    `for accepted=${BATCH_SIZE}; one in ${FULL_CHECK_EVERY} is parsed and checked whole (success, accepted, duplicates=0, no errors).`,
];

interface LoadOutcome {
  seconds: number;
  responses: number;
  ok: number;
  acceptedEvents: number;
  latencies: number[];
  statusCounts: Record<string, number>;
  non2xx: number;
  badBodies: number;
  connectionErrors: number;
  timeouts: number;
  firstBadBody?: string;
}

interface ProcessUsage {
  cpuPercentOfOneCore: number;
  cpuMsPerRequest: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}

interface RunResult {
  database: Database;
  target: Target;
  round: number;
  load: LoadOutcome;
  processes: Record<string, ProcessUsage>;
  loadGenCpuPercentOfOneCore: number;
}

/** One database's set-up: its environment, the three server processes and the URLs under test. */
interface Stack {
  env: BenchEnv;
  children: Child[];
  signals: Child;
  gateway: Child;
  ceiling: Child;
  urls: Record<Target, string>;
  signalsBatchUrl: string;
  databaseInfo: Record<string, string>;
  /** DDL the checked-in migrations lacked, applied from the entities (PostgreSQL; empty when current). */
  schemaDrift: string[];
  headers: Record<string, string>;
}

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

function parseDatabases(raw: string): Database[] {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = list.filter((d) => d !== 'sqlite' && d !== 'postgres');
  if (bad.length || !list.length) throw new Error(`BENCH_DBS: use sqlite and/or postgres, comma-separated (got "${raw}")`);
  return list as Database[];
}

/**
 * Request bodies for `/v1/batch`: one fixed batch of realistic events (analytics-node shape:
 * identify, page and track with properties and context), serialized once with placeholders; each
 * request fills in fresh messageIds (and rotates the user), so no event is ever a duplicate.
 */
class BatchBodies {
  private readonly parts: string[];
  private seq = 0;

  constructor(
    private readonly runId: string,
    size: number,
  ) {
    const now = Date.now();
    const events = Array.from({ length: size }, (_, i) => sampleEvent(i, size, now));
    // the tokens (odd indexes after the split) are M<index> (messageId) or U (the user)
    this.parts = JSON.stringify({ batch: events, sentAt: new Date(now).toISOString() }).split(/@@(M\d+|U)@@/);
  }

  /** Bodies handed out so far. */
  get count(): number {
    return this.seq;
  }

  next(): string {
    const n = this.seq++;
    let out = this.parts[0];
    for (let i = 1; i < this.parts.length; i += 2) {
      const token = this.parts[i];
      out += token === 'U' ? `user-${n % 5000}` : `${this.runId}-${n}-${token.slice(1)}`;
      out += this.parts[i + 1];
    }
    return out;
  }
}

const PRODUCTS = ['sku-1042', 'sku-2210', 'sku-3307', 'sku-4419', 'sku-5521'];
const TRACKED = ['Product Viewed', 'Product Added', 'Checkout Started', 'Payment Info Entered', 'Order Completed'];

function sampleEvent(i: number, size: number, now: number): Record<string, unknown> {
  const context = {
    library: { name: '@segment/analytics-node', version: '3.1.0' },
    ip: '203.0.113.7',
    locale: 'en-GB',
    userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    page: { path: '/checkout/payment', url: 'https://shop.example.com/checkout/payment', title: 'Payment', referrer: 'https://shop.example.com/cart' },
  };
  const base = {
    messageId: `@@M${i}@@`,
    userId: '@@U@@',
    anonymousId: 'anon-@@U@@',
    timestamp: new Date(now - (size - i) * 1000).toISOString(),
    context,
  };
  if (i % 10 === 0) {
    return { ...base, type: 'identify', traits: { email: 'customer@example.com', plan: 'pro', name: 'Ada Lovelace', seats: 5 } };
  }
  if (i % 10 === 5) {
    return { ...base, type: 'page', name: 'Payment', properties: { path: '/checkout/payment', url: 'https://shop.example.com/checkout/payment', title: 'Payment' } };
  }
  const product = PRODUCTS[i % PRODUCTS.length];
  const event = TRACKED[i % TRACKED.length];
  const properties: Record<string, unknown> = { product_id: product, sku: product, name: 'Trail Running Shoe', price: 89.9, quantity: 1, currency: 'EUR' };
  if (event === 'Order Completed') Object.assign(properties, { order_id: `order-${i}`, revenue: 89.9, total: 96.4, tax: 6.5 });
  return { ...base, type: 'track', event, properties };
}

const ACCEPTED = /"accepted":(\d+)/;

/** Checks one 2xx answer; returns the events it says were stored, or -1 when it is not a full success. */
function checkAnswer(body: string, full: boolean): number {
  const m = ACCEPTED.exec(body);
  const accepted = m ? Number(m[1]) : -1;
  if (accepted !== BATCH_SIZE) return -1;
  if (!full) return accepted;
  try {
    const parsed = JSON.parse(body) as { success?: unknown; accepted?: unknown; duplicates?: unknown; errors?: unknown };
    const good = parsed.success === true && parsed.accepted === BATCH_SIZE && parsed.duplicates === 0 && Array.isArray(parsed.errors) && parsed.errors.length === 0;
    return good ? accepted : -1;
  } catch {
    return -1;
  }
}

/** One closed-loop autocannon run of `seconds` at CONNECTIONS connections, every answer checked. */
async function load(url: string, headers: Record<string, string>, bodies: BatchBodies, seconds: number): Promise<LoadOutcome> {
  const latencies: number[] = [];
  let acceptedEvents = 0;
  let ok = 0;
  let badBodies = 0;
  let firstBadBody: string | undefined;
  const result = await new Promise<autocannon.Result>((resolvePromise, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        duration: seconds,
        pipelining: 1,
        timeout: 10,
        method: 'POST',
        headers,
        requests: [
          {
            // fresh messageIds per request: a repeated body would only measure deduplication
            setupRequest: (req) => {
              req.body = bodies.next();
              return req;
            },
            onResponse: (status, body) => {
              if (status < 200 || status >= 300) {
                firstBadBody ??= `HTTP ${status}: ${body.slice(0, 500)}`;
                return;
              }
              ok++;
              const accepted = checkAnswer(body, ok % FULL_CHECK_EVERY === 0);
              if (accepted < 0) {
                badBodies++;
                firstBadBody ??= body.slice(0, 500);
              } else acceptedEvents += accepted;
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolvePromise(res)),
    );
    instance.on('response', (_client, _status, _bytes, ms) => void latencies.push(ms));
  });
  const statusCounts = Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, (s as { count: number }).count]));
  return {
    seconds: result.duration,
    responses: latencies.length,
    ok,
    acceptedEvents,
    latencies,
    statusCounts,
    non2xx: result.non2xx,
    badBodies,
    connectionErrors: result.errors,
    timeouts: result.timeouts,
    firstBadBody,
  };
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

/** Before any load: auth is enforced on both hops, and each target stores a batch once and dedupes its retry. */
async function sanityCheck(stack: Stack, bodies: BatchBodies, acked: Record<Target, number>): Promise<void> {
  const sample = bodies.next();
  const json = { 'content-type': 'application/json' };
  const anon = await post(stack.urls.real, sample, json);
  if (anon.status !== 401) throw new Error(`gateway /v1/batch without a write key answered ${anon.status}: ${anon.text.slice(0, 300)}`);
  const unsigned = await post(stack.signalsBatchUrl, sample, json);
  if (unsigned.status !== 401) throw new Error(`signals /v1/batch without the signed context answered ${unsigned.status}: ${unsigned.text.slice(0, 300)}`);
  for (const target of ['real', 'ceiling'] as Target[]) {
    const body = bodies.next();
    const first = await post(stack.urls[target], body, stack.headers);
    if (first.status !== 200 || checkAnswer(first.text, true) !== BATCH_SIZE) {
      throw new Error(`${target}: a fresh batch was not fully accepted (${first.status}): ${first.text.slice(0, 500)}`);
    }
    acked[target] += BATCH_SIZE;
    const retry = await post(stack.urls[target], body, stack.headers);
    const parsed = JSON.parse(retry.text) as { accepted?: number; duplicates?: number };
    if (retry.status !== 200 || parsed.accepted !== 0 || parsed.duplicates !== BATCH_SIZE) {
      throw new Error(`${target}: a retried batch was not recognised as duplicates (${retry.status}): ${retry.text.slice(0, 500)}`);
    }
  }
}

async function startStack(database: Database): Promise<Stack> {
  const env = await createBenchEnv({ postgres: database === 'postgres', vars: RAISED_LIMITS });
  const children: Child[] = [];
  try {
    const schemaDrift = await applyMissingSchema(env.config, signalsSubgraph.orm);
    if (schemaDrift.length) {
      say(`${database}: WARNING: the signals migrations lag behind its entities; applied from the entities for this run only:`);
      for (const statement of schemaDrift) say(`  ${statement.slice(0, 200)}`);
    }
    const signals = await Child.start('subgraphs-process', `signals (${database})`, env.vars);
    children.push(signals);
    const subgraphUrls = await signals.call<Record<string, string>>('start', { only: ['signals'], workers: false } satisfies StartSubgraphsRequest);
    const key = await createApiKey(env.config, TENANT, ['events:write'], 'ingest benchmark');
    const gateway = await Child.start('gateway-process', `gateway (${database})`, env.vars);
    children.push(gateway);
    const gatewayUrl = await gateway.call<string>('start', { kind: 'ours', subgraphUrls } satisfies StartGatewayRequest);
    const ceiling = await Child.start('ingest-ceiling-process', `ceiling (${database})`, env.vars);
    children.push(ceiling);
    const started = await ceiling.call<StartedCeiling>('start', { tenant: CEILING_TENANT } satisfies StartCeilingRequest);
    return {
      env,
      children,
      signals,
      gateway,
      ceiling,
      urls: { real: gatewayUrl.replace(/\/graphql$/, '/v1/batch'), ceiling: started.url },
      signalsBatchUrl: subgraphUrls.signals.replace(/\/graphql$/, '/v1/batch'),
      databaseInfo: started.database,
      schemaDrift,
      // as the Segment SDKs send it: Basic base64("<writeKey>:") (the ceiling ignores it)
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}` },
    };
  } catch (err) {
    for (const child of children.reverse()) await child.stop();
    await env.cleanup();
    throw err;
  }
}

/** The stack being measured, so an interrupted run still stops its processes and drops its data. */
let current: Stack | null = null;

async function stopStack(stack: Stack): Promise<void> {
  if (current === stack) current = null;
  for (const child of stack.children.splice(0).reverse()) await child.stop();
  await stack.env.cleanup();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: cleaning up before exiting…`);
    const stack = current;
    void (stack ? stopStack(stack) : Promise.resolve()).finally(() => process.exit(130));
  });
}

/** The server processes of a target: the gateway and the signals service, or the ceiling alone. */
function serversOf(stack: Stack, target: Target): Record<string, Child> {
  return target === 'real' ? { gateway: stack.gateway, signals: stack.signals } : { ceiling: stack.ceiling };
}

async function measure(
  stack: Stack,
  database: Database,
  target: Target,
  round: number,
  bodies: BatchBodies,
  profiles: Record<string, ProfileSummary>,
): Promise<RunResult> {
  const servers = Object.entries(serversOf(stack, target));
  const profile = CPU_PROF_DIR !== '' && round === 1;
  const before: CpuSnapshot[] = await Promise.all(servers.map(([, c]) => c.cpu()));
  await Promise.all(servers.map(([, c]) => c.resetLoopDelay()));
  if (profile) await Promise.all(servers.map(([, c]) => c.startCpuProfile()));
  const lgBefore = process.cpuUsage();
  const run = await load(stack.urls[target], stack.headers, bodies, DURATION);
  const lgAfter = process.cpuUsage();
  const after: CpuSnapshot[] = await Promise.all(servers.map(([, c]) => c.cpu()));
  const loops: LoopDelay[] = await Promise.all(servers.map(([, c]) => c.loopDelay()));
  if (profile) {
    for (const [name, child] of servers) {
      const file = join(CPU_PROF_DIR, `ingest-${database}-${target}-${name}.cpuprofile`);
      await child.stopCpuProfile(file);
      profiles[`${database}/${target}/${name}`] = summarizeCpuProfile(file);
    }
  }
  const processes: Record<string, ProcessUsage> = {};
  servers.forEach(([name], i) => {
    const ms = cpuMs(before[i], after[i]);
    processes[name] = {
      cpuPercentOfOneCore: round2((ms / (run.seconds * 1000)) * 100),
      cpuMsPerRequest: round3(ms / Math.max(1, run.responses)),
      loopDelayP99Ms: round2(loops[i].p99),
      loopDelayMaxMs: round2(loops[i].max),
    };
  });
  return {
    database,
    target,
    round,
    load: run,
    processes,
    loadGenCpuPercentOfOneCore: round2((cpuMs(lgBefore, lgAfter) / (run.seconds * 1000)) * 100),
  };
}

function summarize(runs: RunResult[]) {
  const seconds = runs.reduce((s, r) => s + r.load.seconds, 0);
  const ok = runs.reduce((s, r) => s + r.load.ok, 0);
  const events = runs.reduce((s, r) => s + r.load.acceptedEvents, 0);
  const sorted = Float64Array.from(runs.flatMap((r) => r.load.latencies)).sort();
  const non2xx = runs.reduce((s, r) => s + r.load.non2xx, 0);
  const badBodies = runs.reduce((s, r) => s + r.load.badBodies, 0);
  const connectionErrors = runs.reduce((s, r) => s + r.load.connectionErrors, 0);
  const timeouts = runs.reduce((s, r) => s + r.load.timeouts, 0);
  const statusCounts: Record<string, number> = {};
  for (const r of runs) for (const [code, n] of Object.entries(r.load.statusCounts)) statusCounts[code] = (statusCounts[code] ?? 0) + n;
  const processNames = Object.keys(runs[0].processes);
  const mean = (f: (r: RunResult) => number) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
  const avg = (f: (r: RunResult) => number) => round2(mean(f));
  return {
    database: runs[0].database,
    target: runs[0].target,
    label: TARGET_LABELS[runs[0].target],
    requestsPerSecond: round2(ok / seconds),
    eventsPerSecond: round2(events / seconds),
    p50Ms: round2(percentile(sorted, 50)),
    p99Ms: round2(percentile(sorted, 99)),
    maxMs: round2(sorted.length ? sorted[sorted.length - 1] : NaN),
    errors: non2xx + badBodies + connectionErrors,
    errorDetail: { non2xx, badBodies, connectionErrors, timeouts, statusCounts, firstBadBody: runs.find((r) => r.load.firstBadBody)?.load.firstBadBody ?? null },
    responses: runs.reduce((s, r) => s + r.load.responses, 0),
    acceptedEvents: events,
    measuredSeconds: round2(seconds),
    serverCpuMsPerRequest: round3(processNames.reduce((s, name) => s + mean((r) => r.processes[name].cpuMsPerRequest), 0)),
    processes: Object.fromEntries(
      processNames.map((name) => [
        name,
        {
          cpuPercentOfOneCore: avg((r) => r.processes[name].cpuPercentOfOneCore),
          cpuMsPerRequest: round3(mean((r) => r.processes[name].cpuMsPerRequest)),
          loopDelayP99Ms: avg((r) => r.processes[name].loopDelayP99Ms),
          loopDelayMaxMs: Math.max(...runs.map((r) => r.processes[name].loopDelayMaxMs)),
        },
      ]),
    ),
    loadGenCpuPercentOfOneCore: avg((r) => r.loadGenCpuPercentOfOneCore),
    perRound: runs.map((r) => ({
      round: r.round,
      eventsPerSecond: round2(r.load.acceptedEvents / r.load.seconds),
      p99Ms: round2(percentile(Float64Array.from(r.load.latencies).sort(), 99)),
      errors: r.load.non2xx + r.load.badBodies + r.load.connectionErrors,
    })),
  };
}

type Summary = ReturnType<typeof summarize>;

interface DatabaseReport {
  database: Database;
  info: Record<string, string>;
  schemaDrift: string[];
  real: Summary;
  ceiling: Summary;
  ratio: number;
  /** Every acknowledged event is in the table; every stored real-path event has its job queued. */
  stored: {
    real: StoredStats & { acknowledged: number };
    ceiling: StoredStats & { acknowledged: number };
    ok: boolean;
    problems: string[];
  };
}

async function benchDatabase(database: Database, runId: string, profiles: Record<string, ProfileSummary>): Promise<DatabaseReport> {
  say(`${database}: starting the signals service (workers: false), the gateway and the ceiling server…`);
  const stack = await startStack(database);
  current = stack;
  try {
    say(`${database}: ${Object.entries(stack.databaseInfo).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    const bodies = new BatchBodies(`${runId}-${database}`, BATCH_SIZE);
    const acked: Record<Target, number> = { real: 0, ceiling: 0 };
    await sanityCheck(stack, bodies, acked);
    const runs: RunResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const order: Target[] = round % 2 ? ['real', 'ceiling'] : ['ceiling', 'real'];
      for (const target of order) {
        if (round === 1) {
          say(`${database}, ${TARGET_LABELS[target]}: warm-up ${WARMUP}s…`);
          const warm = await load(stack.urls[target], stack.headers, bodies, WARMUP);
          acked[target] += warm.acceptedEvents;
          if (warm.non2xx || warm.badBodies || warm.connectionErrors) {
            throw new Error(`${database} ${target}: errors during warm-up (${warm.non2xx} non-2xx, ${warm.badBodies} bad bodies, ${warm.connectionErrors} connection errors): ${warm.firstBadBody ?? ''}`);
          }
        }
        say(`${database}, ${TARGET_LABELS[target]}: round ${round}/${ROUNDS}, ${DURATION}s at ${CONNECTIONS} connections, ${BATCH_SIZE} events per request…`);
        const run = await measure(stack, database, target, round, bodies, profiles);
        runs.push(run);
        acked[target] += run.load.acceptedEvents;
        const l = run.load;
        say(
          `  ${l.ok} × 2xx in ${l.seconds.toFixed(1)}s = ${(l.ok / l.seconds).toFixed(0)} req/s, ${(l.acceptedEvents / l.seconds).toFixed(0)} events/s; ` +
            `non-2xx ${l.non2xx}, bad bodies ${l.badBodies}, connection errors ${l.connectionErrors}; ` +
            `CPU % of one core: ${Object.entries(run.processes).map(([n, p]) => `${n} ${p.cpuPercentOfOneCore}`).join(', ')}, load generator ${run.loadGenCpuPercentOfOneCore}`,
        );
        if (l.firstBadBody) say(`  first bad answer: ${l.firstBadBody}`);
      }
    }
    // requests still in flight when a load stopped finish on the server: let them land
    await new Promise((r) => setTimeout(r, 1000));
    const [realStats, ceilingStats] = await Promise.all([stack.ceiling.call<StoredStats>('stats', TENANT), stack.ceiling.call<StoredStats>('stats', CEILING_TENANT)]);
    const problems: string[] = [];
    if (realStats.rows < acked.real) problems.push(`real path: ${acked.real} events acknowledged but ${realStats.rows} stored`);
    if (ceilingStats.rows < acked.ceiling) problems.push(`ceiling: ${acked.ceiling} events acknowledged but ${ceilingStats.rows} stored`);
    if (realStats.enqueued !== realStats.rows) problems.push(`real path: ${realStats.rows} events stored but ${realStats.enqueued} marked enqueued`);
    if (realStats.waitingEvents !== realStats.rows) problems.push(`real path: ${realStats.rows} events stored but ${realStats.waitingEvents} carried by waiting resolve jobs`);
    const real = summarize(runs.filter((r) => r.target === 'real'));
    const ceiling = summarize(runs.filter((r) => r.target === 'ceiling'));
    return {
      database,
      info: stack.databaseInfo,
      schemaDrift: stack.schemaDrift,
      real,
      ceiling,
      ratio: round2(real.eventsPerSecond / ceiling.eventsPerSecond),
      stored: {
        real: { ...realStats, acknowledged: acked.real },
        ceiling: { ...ceilingStats, acknowledged: acked.ceiling },
        ok: problems.length === 0,
        problems,
      },
    };
  } finally {
    say(`${database}: stopping the processes and cleaning up (data folder${database === 'postgres' ? ', database' : ''}, Redis keys)…`);
    await stopStack(stack);
  }
}

function printProfiles(profiles: Record<string, ProfileSummary>): void {
  for (const [name, p] of Object.entries(profiles)) {
    console.log('');
    console.log(`CPU profile ${name} (${p.totalMs} ms sampled, ${p.idlePercent}% idle): ${p.file}`);
    console.log(`  self time by package/file: ${p.byPackage.slice(0, 10).map((s) => `${s.name} ${s.percent}%`).join(', ')}`);
    console.log(`  self time by function:     ${p.selfByFunction.slice(0, 8).map((s) => `${s.name} ${s.percent}%`).join(', ')}`);
    console.log(`  inclusive by function:     ${p.inclusiveByFunction.slice(0, 12).map((s) => `${s.name} ${s.percent}%`).join(', ')}`);
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  if (loadAtStart > cpus().length / 2) {
    say(`warning: load average ${loadAtStart.toFixed(2)} on ${cpus().length} CPUs before starting: other work will skew the figures`);
  }
  if (CPU_PROF_DIR) {
    mkdirSync(CPU_PROF_DIR, { recursive: true });
    say(`CPU profiles of the server processes go to ${CPU_PROF_DIR} (profiling slows the first measured run of each target)`);
  }
  say(`layout: ${LAYOUT}`);
  const runId = randomBytes(4).toString('hex');
  const profiles: Record<string, ProfileSummary> = {};
  const reports: DatabaseReport[] = [];
  for (const database of DATABASES) reports.push(await benchDatabase(database, runId, profiles));
  const loadAtEnd = loadavg()[0];

  const rows = [
    ['database', 'target', 'req/s', 'events/s', 'p50 ms', 'p99 ms', 'errors', 'server CPU ms/req', 'real/ceiling'],
    ...reports.flatMap((r) =>
      [r.real, r.ceiling].map((s) => [
        r.database,
        s.label,
        s.requestsPerSecond.toFixed(0),
        s.eventsPerSecond.toFixed(0),
        s.p50Ms.toFixed(1),
        s.p99Ms.toFixed(1),
        String(s.errors),
        s.serverCpuMsPerRequest.toFixed(2),
        s.target === 'real' ? `${r.ratio.toFixed(2)}×` : '',
      ]),
    ),
  ];
  const cpuModel = cpus()[0]?.model ?? 'unknown';
  console.log('');
  console.log(
    `Ingestion benchmark: POST /v1/batch, ${BATCH_SIZE} events per request, ${CONNECTIONS} connections, closed loop, ` +
      `${ROUNDS} round(s) × ${DURATION}s measured per target (after ${WARMUP}s warm-up).`,
  );
  console.log(`Node ${process.version}, ${cpus().length} × ${cpuModel}; load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end.`);
  console.log(`Layout: ${LAYOUT}.`);
  console.log('');
  console.log(table(rows));
  console.log('');
  for (const r of reports) {
    const verdict = r.ratio >= TARGET_RATIO ? 'meets' : 'BELOW';
    console.log(
      `${r.database}: real ${r.real.eventsPerSecond.toFixed(0)} vs ceiling ${r.ceiling.eventsPerSecond.toFixed(0)} events/s = ${r.ratio.toFixed(2)}× (${verdict} the ${TARGET_RATIO}× target); ` +
        `CPU % of one core: ${Object.entries(r.real.processes).map(([n, p]) => `${n} ${p.cpuPercentOfOneCore}`).join(', ')} | ` +
        `${Object.entries(r.ceiling.processes).map(([n, p]) => `${n} ${p.cpuPercentOfOneCore}`).join(', ')}; ` +
        `load generator ${r.real.loadGenCpuPercentOfOneCore} | ${r.ceiling.loadGenCpuPercentOfOneCore}`,
    );
    console.log(
      `  stored: real ${r.stored.real.rows} rows for ${r.stored.real.acknowledged} acknowledged events (${r.stored.real.enqueued} enqueued, ${r.stored.real.waitingEvents} in ${r.stored.real.waitingJobs} waiting jobs); ` +
        `ceiling ${r.stored.ceiling.rows} rows for ${r.stored.ceiling.acknowledged} acknowledged${r.stored.ok ? '' : `; PROBLEMS: ${r.stored.problems.join('; ')}`}`,
    );
  }
  for (const r of reports.filter((x) => x.schemaDrift.length)) {
    console.log(
      `WARNING (${r.database}): the checked-in signals migrations lack ${r.schemaDrift.length} statement(s) the entities need ` +
        `(run \`npm run migrations\`); they were applied from the entities for this run only (see schemaDrift in the JSON).`,
    );
  }
  console.log('');
  for (const n of NOTES) console.log(`note: ${n}`);
  if (CPU_PROF_DIR) printProfiles(profiles);

  const report = {
    meta: {
      ...machineMeta(loadAtStart),
      loadAverageAtEnd: round2(loadAtEnd),
      durationSeconds: DURATION,
      warmupSeconds: WARMUP,
      rounds: ROUNDS,
      connections: CONNECTIONS,
      eventsPerRequest: BATCH_SIZE,
      targetRatio: TARGET_RATIO,
      raisedLimits: RAISED_LIMITS,
      workers: 'signals with workers: false, no profiles service: jobs are enqueued, not consumed',
      cpuProfiled: CPU_PROF_DIR !== '',
      layout: LAYOUT,
      versions: Object.fromEntries(
        ['autocannon', '@mikro-orm/core', '@mikro-orm/knex', 'better-sqlite3', 'pg', 'bullmq', 'ioredis', 'express', '@graphql-hive/gateway-runtime'].map((p) => [p, packageVersion(p)]),
      ),
      notes: [
        'req/s = 2xx responses / measured seconds; events/s = events the answers report as accepted / measured seconds; latency percentiles over every response of the measured runs (warm-up excluded).',
        'errors = non-2xx + 2xx answers that did not accept the whole batch + connection errors/timeouts.',
        'server CPU ms/req = CPU time (user+system) of the target’s server processes during the measured runs / responses.',
        ...NOTES,
      ],
      wallSeconds: Math.round((Date.now() - started) / 1000),
    },
    databases: reports.map((r) => ({ database: r.database, info: r.info, schemaDrift: r.schemaDrift, ratio: r.ratio, meetsTarget: r.ratio >= TARGET_RATIO, stored: r.stored })),
    results: reports.flatMap((r) => [r.real, r.ceiling]),
    ratios: Object.fromEntries(reports.map((r) => [r.database, r.ratio])),
    ...(CPU_PROF_DIR ? { cpuProfiles: profiles } : {}),
  };
  writeResults('ingest', report);
  console.log(`\nwritten: bench/results/ingest.json (${report.meta.wallSeconds}s in all)`);
  const errors = reports.flatMap((r) => [r.real, r.ceiling]).filter((s) => s.errors > 0);
  if (errors.length) throw new Error(`errors during the measured runs: ${errors.map((s) => `${s.database} ${s.target} ${s.errors}`).join(', ')}`);
  const lost = reports.filter((r) => !r.stored.ok);
  if (lost.length) throw new Error(`storage check failed: ${lost.flatMap((r) => r.stored.problems).join('; ')}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`ingest benchmark failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
