// Gateway benchmark: our Hive Gateway runtime (Rust query planner) against @apollo/gateway 2.14 on
// Apollo Server 5, both in front of the same four running subgraphs, on one federated query that
// touches all four. `npm run bench:gateway`; knobs: BENCH_DURATION (s per measured run, default 10),
// BENCH_WARMUP (s, default 3), BENCH_CONNECTIONS (default 50), BENCH_ROUNDS (default 2),
// BENCH_PROFILES (default 200), BENCH_CPU_PROF (a folder: CPU profiles of the gateway children).
// Prints a table and writes bench/results/gateway.json.
//
// Process layout: this process only drives the load (autocannon) and orchestrates; the four
// subgraphs share one child process; each gateway run gets a fresh child process of its own, so
// both gateways are measured in exactly the same arrangement, one after the other, alternating
// the order each round. Everything listens on 127.0.0.1.
import 'reflect-metadata';

import { cpus, loadavg } from 'node:os';

import autocannon from 'autocannon';

import { createBenchEnv } from './lib/bench-env';
import { Child, type LoopDelay } from './lib/child';
import type { GatewayKind, StartGatewayRequest } from './lib/gateway-process';
import { createApiKey } from './lib/keys';
import { cpuMs, intEnv, machineMeta, packageVersion, percentile, round2, say, table, writeResults } from './lib/report';
import type { SeedRequest, Traffic } from './lib/subgraphs-process';

const DURATION = intEnv('BENCH_DURATION', 10);
const WARMUP = intEnv('BENCH_WARMUP', 3);
const CONNECTIONS = intEnv('BENCH_CONNECTIONS', 50);
const ROUNDS = intEnv('BENCH_ROUNDS', 2);
/** Load through the seeding gateway before any measured run, so the first gateway measured does not meet cold subgraphs. */
const SUBGRAPH_WARMUP = 6;
const PROFILES = intEnv('BENCH_PROFILES', 200);
/** When set, every measured gateway child writes a V8 CPU profile (.cpuprofile) into this folder. */
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ?? '';
const TENANT = 'bench';
const SAMPLES = 5;

const QUERY = 'query($id: ID!) { profile(id: $id) { id traits identities { type value } signals { type severity } risk { score bucket } alerts { type status } } }';

const LABELS: Record<GatewayKind, string> = {
  ours: 'ours (Hive runtime + Rust planner)',
  apollo: '@apollo/gateway 2.14 (baseline)',
};

const LAYOUT =
  'load generator (autocannon) + orchestration in the main process; the 4 subgraphs (SQLite, BullMQ workers) in one child ' +
  'process; each gateway run in a fresh child process of its own (same arrangement for both), one gateway at a time, ' +
  'order alternating per round; all on 127.0.0.1';

/** What differs between the two set-ups, printed and written with the figures. */
const CAVEATS = [
  'Both resolve the Bearer key through the same cached KeyStore and sign the tenant context for every subgraph call; ours ' +
    'reuses a signed token for half its TTL, the baseline signs per call (a few µs).',
  'Ours also runs its graphql-armor limits and per-operation scope check; @apollo/gateway cannot load the requiresScopes ' +
    '(for: SECURITY) link, so the baseline gets the supergraph without that purpose and enforces no scopes.',
  "The baseline keeps RemoteGraphQLDataSource's default fetcher (make-fetch-happen).",
];

interface GqlBody {
  data?: { profile?: ProfileResult | null } & Record<string, unknown>;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

interface ProfileResult {
  id: string;
  identities: unknown[];
  signals: unknown[];
  risk: unknown;
  alerts: unknown[];
}

interface RunResult {
  kind: GatewayKind;
  round: number;
  seconds: number;
  responses: number;
  non2xx: number;
  bodyErrors: number;
  connectionErrors: number;
  timeouts: number;
  latencies: number[];
  gatewayCpuMs: number;
  subgraphsCpuMs: number;
  loadGenCpuMs: number;
  /** HTTP requests the subgraphs received, and TCP connections opened to them, during the run. */
  subgraphRequests: number;
  subgraphConnections: number;
  gatewayLoop: LoopDelay;
  subgraphsLoop: LoopDelay;
  firstBadBody?: string;
}


async function postGql(url: string, query: string, variables: Record<string, unknown>, key?: string): Promise<{ status: number; body: GqlBody }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: GqlBody;
  try {
    body = JSON.parse(text) as GqlBody;
  } catch {
    throw new Error(`${url} answered ${res.status} with a non-JSON body: ${text.slice(0, 300)}`);
  }
  return { status: res.status, body };
}

/** Fails loudly unless the response is a complete profile with data from all four subgraphs. */
function assertFullProfile(where: string, id: string, status: number, body: GqlBody): ProfileResult {
  const p = body.data?.profile;
  const problem =
    status !== 200
      ? `HTTP ${status}`
      : body.errors?.length
        ? 'errors in the response'
        : !p
          ? 'no profile'
          : p.id !== id
            ? `wrong id ${p.id}`
            : !p.identities?.length
              ? 'no identities (profiles subgraph)'
              : !p.signals?.length
                ? 'no signals (signals subgraph)'
                : !p.risk
                  ? 'no risk (risk subgraph)'
                  : !p.alerts?.length
                    ? 'no alerts (actions subgraph)'
                    : null;
  if (problem) throw new Error(`${where}: profile ${id}: ${problem}: ${JSON.stringify(body).slice(0, 800)}`);
  return p!;
}

/** JSON with sorted keys, to compare the two gateways' answers. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as object).sort(([a], [b]) => a.localeCompare(b))) : v,
  );
}

/** A subgraph must refuse a call that does not carry the gateway's signed context. */
async function assertSubgraphRefusesUnsigned(url: string): Promise<void> {
  const { body } = await postGql(url, '{ __typename }', {});
  const code = body.errors?.[0]?.extensions?.code;
  if (code !== 'UNAUTHENTICATED') throw new Error(`subgraph ${url} answered an unsigned call: ${JSON.stringify(body)}`);
}

async function seedProfiles(url: string, key: string, n: number): Promise<string[]> {
  const mutation = 'mutation($input: UpsertProfileInput!) { upsertProfile(input: $input) { id } }';
  const ids: string[] = new Array(n);
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const input = {
        identities: [{ type: 'USER_ID', value: `bench-user-${i}` }],
        email: `bench-${i}@example.com`,
        traits: { plan: ['free', 'pro', 'team'][i % 3], seats: 1 + (i % 10) },
      };
      const { status, body } = await postGql(url, mutation, { input }, key);
      const id = (body.data as { upsertProfile?: { id: string } } | undefined)?.upsertProfile?.id;
      if (status !== 200 || body.errors || !id) throw new Error(`upsertProfile #${i} failed (${status}): ${JSON.stringify(body)}`);
      ids[i] = id;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return ids;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function startGateway(
  kind: GatewayKind,
  env: Record<string, string>,
  subgraphUrls: Record<string, string>,
  profile = false,
): Promise<{ child: Child; url: string }> {
  const execArgv = profile && CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`, `--cpu-prof-name=gateway-${kind}-${Date.now()}.cpuprofile`] : [];
  const child = await Child.start('gateway-process', `gateway:${kind}`, env, execArgv);
  try {
    const url = await child.call<string>('start', { kind, subgraphUrls } satisfies StartGatewayRequest);
    return { child, url };
  } catch (err) {
    await child.stop();
    throw err;
  }
}

/** Full checks before a measured run: auth is enforced, sample answers are complete and match the reference. */
async function sampleCheck(kind: GatewayKind, url: string, key: string, ids: string[], reference: Map<string, string>): Promise<void> {
  const anon = await postGql(url, QUERY, { id: ids[0] });
  if (anon.status < 400 && !anon.body.errors?.length) throw new Error(`${kind}: answered a call without API key: ${JSON.stringify(anon.body)}`);
  for (let s = 0; s < SAMPLES; s++) {
    const id = ids[Math.floor((s * ids.length) / SAMPLES)];
    const { status, body } = await postGql(url, QUERY, { id }, key);
    const profile = assertFullProfile(kind, id, status, body);
    const json = canonical(profile);
    const ref = reference.get(id);
    if (ref === undefined) reference.set(id, json);
    else if (ref !== json) throw new Error(`${kind}: profile ${id} differs from the other gateway's answer:\n  ${json}\n  ${ref}`);
  }
}

function trafficDelta(before: Traffic, after: Traffic): { requests: number; connections: number } {
  let requests = 0;
  let connections = 0;
  for (const [name, t] of Object.entries(after)) {
    requests += t.requests - (before[name]?.requests ?? 0);
    connections += t.connections - (before[name]?.connections ?? 0);
  }
  return { requests, connections };
}

/** One closed-loop autocannon run; every body is checked for `errors` and a profile. */
async function load(url: string, key: string, ids: string[], seconds: number, connections: number, nextRef: { i: number }) {
  const bodies = ids.map((id) => JSON.stringify({ query: QUERY, variables: { id } }));
  const latencies: number[] = [];
  let bodyErrors = 0;
  let firstBadBody: string | undefined;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections,
        duration: seconds,
        pipelining: 1,
        timeout: 10,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${key}` },
        requests: [
          {
            // a distinct profile per request: identical in-flight requests would be deduplicated
            setupRequest: (req) => {
              req.body = bodies[nextRef.i++ % bodies.length];
              return req;
            },
            onResponse: (status, body) => {
              if (status < 200 || status >= 300) return;
              if (body.includes('"errors"') || !/"profile":\{"id":"/.test(body)) {
                bodyErrors++;
                firstBadBody ??= body.slice(0, 800);
              }
            },
          },
        ],
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('response', (_client, _status, _bytes, ms) => void latencies.push(ms));
  });
  return { result, latencies, bodyErrors, firstBadBody };
}

function summarize(kind: GatewayKind, runs: RunResult[]) {
  const mine = runs.filter((r) => r.kind === kind);
  const seconds = mine.reduce((s, r) => s + r.seconds, 0);
  const responses = mine.reduce((s, r) => s + r.responses, 0);
  const sorted = Float64Array.from(mine.flatMap((r) => r.latencies)).sort();
  const non2xx = mine.reduce((s, r) => s + r.non2xx, 0);
  const bodyErrors = mine.reduce((s, r) => s + r.bodyErrors, 0);
  const connectionErrors = mine.reduce((s, r) => s + r.connectionErrors, 0);
  const timeouts = mine.reduce((s, r) => s + r.timeouts, 0);
  const sum = (f: (r: RunResult) => number) => mine.reduce((s, r) => s + f(r), 0);
  return {
    gateway: kind,
    label: LABELS[kind],
    rps: round2(responses / seconds),
    p50Ms: round2(percentile(sorted, 50)),
    p95Ms: round2(percentile(sorted, 95)),
    p99Ms: round2(percentile(sorted, 99)),
    maxMs: round2(sorted.length ? sorted[sorted.length - 1] : NaN),
    errors: non2xx + bodyErrors + connectionErrors,
    errorDetail: { non2xx, bodyErrors, connectionErrors, timeouts },
    responses,
    measuredSeconds: round2(seconds),
    // CPU time per request, each process measured over the measured runs only
    gatewayCpuMsPerReq: round2((sum((r) => r.gatewayCpuMs) / responses) * 1000) / 1000,
    subgraphsCpuMsPerReq: round2((sum((r) => r.subgraphsCpuMs) / responses) * 1000) / 1000,
    gatewayCpuPercentOfOneCore: round2((sum((r) => r.gatewayCpuMs) / (seconds * 1000)) * 100),
    subgraphsCpuPercentOfOneCore: round2((sum((r) => r.subgraphsCpuMs) / (seconds * 1000)) * 100),
    loadGenCpuPercentOfOneCore: round2((sum((r) => r.loadGenCpuMs) / (seconds * 1000)) * 100),
    // what the gateway asked of the subgraphs (the tail of the last responses may fall outside the window)
    subgraphCallsPerReq: round2(sum((r) => r.subgraphRequests) / responses),
    newSubgraphConnections: sum((r) => r.subgraphConnections),
    perRound: mine.map((r) => ({
      round: r.round,
      rps: round2(r.responses / r.seconds),
      p99Ms: round2(percentile(Float64Array.from(r.latencies).sort(), 99)),
      errors: r.non2xx + r.bodyErrors + r.connectionErrors,
      gatewayLoopDelayMs: { p99: round2(r.gatewayLoop.p99), max: round2(r.gatewayLoop.max) },
      subgraphsLoopDelayMs: { p99: round2(r.subgraphsLoop.p99), max: round2(r.subgraphsLoop.max) },
    })),
  };
}

async function main(): Promise<void> {
  if (PROFILES < 2 * CONNECTIONS) throw new Error('BENCH_PROFILES must be at least twice BENCH_CONNECTIONS, so in-flight ids stay distinct');
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  // the 1-minute average lags: a bench run just before leaves ~1.5–2 behind on this 2-CPU box
  if (loadAtStart > cpus().length) {
    say(`warning: load average ${loadAtStart.toFixed(2)} on ${cpus().length} CPUs before starting: other work will skew the figures`);
  }
  const env = await createBenchEnv();
  const children: Child[] = [];
  try {
    say(`layout: ${LAYOUT}`);
    say('starting the four subgraphs (child process)…');
    const subgraphs = await Child.start('subgraphs-process', 'subgraphs', env.vars);
    children.push(subgraphs);
    const subgraphUrls = await subgraphs.call<Record<string, string>>('start');
    for (const url of Object.values(subgraphUrls)) await assertSubgraphRefusesUnsigned(url);
    const key = await createApiKey(env.config, TENANT, ['admin'], 'gateway benchmark');

    say(`seeding ${PROFILES} profiles through our gateway, plus a signal and a High risk score each…`);
    const seeder = await startGateway('ours', env.vars, subgraphUrls);
    children.push(seeder.child);
    const ids = await seedProfiles(seeder.url, key, PROFILES);
    await subgraphs.call<number>('seed', { tenant: TENANT, profileIds: ids } satisfies SeedRequest);
    await waitFor('an alert for every profile', async () => (await subgraphs.call<number>('alertCount', TENANT)) >= PROFILES);
    // every seeded profile must come back whole before any load is applied
    for (const id of ids) {
      const { status, body } = await postGql(seeder.url, QUERY, { id }, key);
      assertFullProfile('seed check', id, status, body);
    }
    const nextRef = { i: 0 };
    say(`warming the subgraphs up for ${SUBGRAPH_WARMUP}s…`);
    const subgraphWarm = await load(seeder.url, key, ids, SUBGRAPH_WARMUP, CONNECTIONS, nextRef);
    if (subgraphWarm.bodyErrors || subgraphWarm.result.non2xx) throw new Error(`errors while warming the subgraphs up: ${subgraphWarm.firstBadBody ?? ''}`);
    await seeder.child.stop();
    children.splice(children.indexOf(seeder.child), 1);

    const reference = new Map<string, string>();
    const runs: RunResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const order: GatewayKind[] = round % 2 ? ['ours', 'apollo'] : ['apollo', 'ours'];
      for (const kind of order) {
        const gw = await startGateway(kind, env.vars, subgraphUrls, true);
        children.push(gw.child);
        try {
          await sampleCheck(kind, gw.url, key, ids, reference);
          say(`round ${round}/${ROUNDS}, ${LABELS[kind]}: warm-up ${WARMUP}s, then ${DURATION}s at ${CONNECTIONS} connections…`);
          const warm = await load(gw.url, key, ids, WARMUP, CONNECTIONS, nextRef);
          if (warm.bodyErrors || warm.result.non2xx) {
            throw new Error(`${kind}: errors during warm-up (${warm.result.non2xx} non-2xx, ${warm.bodyErrors} bad bodies): ${warm.firstBadBody ?? ''}`);
          }
          const [gwBefore, sgBefore, tBefore] = await Promise.all([gw.child.cpu(), subgraphs.cpu(), subgraphs.call<Traffic>('traffic')]);
          await Promise.all([gw.child.resetLoopDelay(), subgraphs.resetLoopDelay()]);
          const lgBefore = process.cpuUsage();
          const run = await load(gw.url, key, ids, DURATION, CONNECTIONS, nextRef);
          const lgAfter = process.cpuUsage();
          const [gwAfter, sgAfter, tAfter, gatewayLoop, subgraphsLoop] = await Promise.all([
            gw.child.cpu(),
            subgraphs.cpu(),
            subgraphs.call<Traffic>('traffic'),
            gw.child.loopDelay(),
            subgraphs.loopDelay(),
          ]);
          const r = run.result;
          const t = trafficDelta(tBefore, tAfter);
          runs.push({
            kind,
            round,
            seconds: r.duration,
            responses: run.latencies.length,
            non2xx: r.non2xx,
            bodyErrors: run.bodyErrors,
            connectionErrors: r.errors,
            timeouts: r.timeouts,
            latencies: run.latencies,
            gatewayCpuMs: cpuMs(gwBefore, gwAfter),
            subgraphsCpuMs: cpuMs(sgBefore, sgAfter),
            loadGenCpuMs: cpuMs(lgBefore, lgAfter),
            subgraphRequests: t.requests,
            subgraphConnections: t.connections,
            gatewayLoop,
            subgraphsLoop,
            firstBadBody: run.firstBadBody,
          });
          say(
            `  ${run.latencies.length} responses in ${r.duration.toFixed(1)}s = ${(run.latencies.length / r.duration).toFixed(0)} req/s; ` +
              `non-2xx ${r.non2xx}, bad bodies ${run.bodyErrors}, connection errors ${r.errors}; max latency ${run.latencies.reduce((m, v) => Math.max(m, v), 0).toFixed(0)} ms; ` +
              `event-loop delay p99/max: gateway ${gatewayLoop.p99.toFixed(0)}/${gatewayLoop.max.toFixed(0)} ms, subgraphs ${subgraphsLoop.p99.toFixed(0)}/${subgraphsLoop.max.toFixed(0)} ms`,
          );
          if (run.firstBadBody) say(`  first bad body: ${run.firstBadBody}`);
        } finally {
          await gw.child.stop();
          children.splice(children.indexOf(gw.child), 1);
        }
      }
    }

    const ours = summarize('ours', runs);
    const apollo = summarize('apollo', runs);
    const rpsRatio = round2(ours.rps / apollo.rps);
    const p99Ratio = round2(ours.p99Ms / apollo.p99Ms);
    // on a box where the subgraphs dominate, the gateway's own CPU per request is the steadier comparison
    const gwCpuRatio = round2(ours.gatewayCpuMsPerReq / apollo.gatewayCpuMsPerReq);

    const rows = [
      ['gateway', 'RPS', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'gw CPU ms/req', 'subgraphs CPU ms/req', 'subgraph calls/req', 'new subgraph conns'],
      ...[ours, apollo].map((s) => [
        s.label,
        s.rps.toFixed(0),
        s.p50Ms.toFixed(1),
        s.p95Ms.toFixed(1),
        s.p99Ms.toFixed(1),
        String(s.errors),
        s.gatewayCpuMsPerReq.toFixed(3),
        s.subgraphsCpuMsPerReq.toFixed(3),
        s.subgraphCallsPerReq.toFixed(2),
        String(s.newSubgraphConnections),
      ]),
    ];
    const cpuModel = cpus()[0]?.model ?? 'unknown';
    console.log('');
    console.log(`Gateway benchmark: ${CONNECTIONS} connections, closed loop, ${ROUNDS} round(s) × ${DURATION}s measured per gateway (after ${WARMUP}s warm-up),`);
    console.log(`${PROFILES} distinct profiles rotated, one query touching profiles + signals + risk + actions. Node ${process.version}, ${cpus().length} × ${cpuModel}.`);
    console.log(`Layout: ${LAYOUT}.`);
    console.log('');
    console.log(table(rows));
    console.log('');
    console.log(`ours / baseline: RPS ${rpsRatio.toFixed(2)}×, p99 ${p99Ratio.toFixed(2)}×, gateway CPU per request ${gwCpuRatio.toFixed(2)}× (lower is better)`);
    for (const s of [ours, apollo]) {
      console.log(
        `  ${s.gateway}: per round RPS ${s.perRound.map((p) => p.rps.toFixed(0)).join(' / ')}, p99 ${s.perRound.map((p) => p.p99Ms.toFixed(0)).join(' / ')} ms; CPU % of one core: gateway ${s.gatewayCpuPercentOfOneCore}, ` +
          `subgraphs ${s.subgraphsCpuPercentOfOneCore}, load generator ${s.loadGenCpuPercentOfOneCore}`,
      );
    }

    console.log('');
    for (const c of CAVEATS) console.log(`note: ${c}`);

    const report = {
      meta: {
        ...machineMeta(loadAtStart),
        durationSeconds: DURATION,
        warmupSeconds: WARMUP,
        rounds: ROUNDS,
        connections: CONNECTIONS,
        profiles: PROFILES,
        query: QUERY,
        layout: LAYOUT,
        versions: {
          '@graphql-hive/gateway-runtime': packageVersion('@graphql-hive/gateway-runtime'),
          '@graphql-hive/router-runtime': packageVersion('@graphql-hive/router-runtime'),
          '@apollo/gateway': packageVersion('@apollo/gateway'),
          '@apollo/server': packageVersion('@apollo/server'),
          autocannon: packageVersion('autocannon'),
        },
        notes: [
          'RPS = responses / measured seconds; latency percentiles over every response of the measured runs (warm-up excluded).',
          'errors = non-2xx + 2xx bodies with `errors` or without a profile + connection errors/timeouts.',
          'CPU ms/req = process CPU time (user+system) during the measured runs / responses.',
          ...CAVEATS,
        ],
        wallSeconds: Math.round((Date.now() - started) / 1000),
      },
      results: [ours, apollo],
      ratio: { rps: rpsRatio, p99: p99Ratio, gatewayCpuPerRequest: gwCpuRatio },
    };
    writeResults('gateway', report);
    console.log(`\nwritten: bench/results/gateway.json (${report.meta.wallSeconds}s in all)`);
    if (ours.errors || apollo.errors) throw new Error(`errors during the measured runs: ours ${ours.errors}, baseline ${apollo.errors}`);
  } finally {
    for (const child of children.splice(0).reverse()) await child.stop();
    await env.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`gateway benchmark failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
