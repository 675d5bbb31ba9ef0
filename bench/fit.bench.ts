// Lifetime-model fit benchmark: wall time of the BG/NBD and Gamma-Gamma maximum-likelihood fits on
// the CDNOW calibration summary (Fader, Hardie & Lee 2005: 2,357 customers, 946 repeat buyers),
// with baselines from the same run. `npm run bench:fit`; knobs: BENCH_FIT_REPS (timed repetitions
// of each fit, default 15; two untimed warm-ups first), BENCH_FIT_SIMULATED=1 (use simulated data
// instead of CDNOW). Prints a table and writes bench/results/fit.json. CDNOW ships in data/cdnow;
// the simulated data are seeded draws from the published parameters at the same size, and the
// output says which was used.
//
// Rows per model:
// - default fit: fitBgNbd / fitGammaGamma as the services call them (3 starts, each BFGS →
//   Nelder–Mead → BFGS).
// - one start: the same fit from its first moment-matched start only.
// - numeric.uncmin alone: the library out of the box (its own finite-difference gradient, one
//   all-ones start, no polish) on the same objective: what the multi-start machinery buys.
// - inside the likelihood: the default fit re-run through minimize() with the same starts and a
//   stopwatch around each likelihood evaluation: the part of the fit no optimiser making as many
//   evaluations could save (the rest is numeric's vector algebra, Nelder–Mead and bookkeeping).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';

import numeric from 'numeric';

import { projectRoot } from '../gateway/supergraph-file';
import { minimize, NON_FINITE_PENALTY } from '../subgraphs/common/math/minimize';
import { defaultBgNbdStarts, fitBgNbd, prepareBgNbdLogLikelihood, type BgNbdParams, type Rfm } from '../subgraphs/risk/domain/lifetime/bg-nbd';
import { defaultGammaGammaStarts, fitGammaGamma, prepareGammaGammaLogLikelihood, type GammaGammaParams, type SpendRow } from '../subgraphs/risk/domain/lifetime/gamma-gamma';
import { createSeededRandom, simulateBgNbd, simulateGammaGamma } from '../subgraphs/risk/domain/lifetime/simulate';
import { intEnv, machineMeta, packageVersion, percentile, round2, say, table, writeResults } from './lib/report';

const REPS = intEnv('BENCH_FIT_REPS', 15);
const WARMUPS = 2;
const PUBLISHED_BG: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const PUBLISHED_GG: GammaGammaParams = { p: 6.25, q: 3.74, gamma: 15.44 };
const PUBLISHED_LL = { bgNbd: -9582.43, gammaGamma: -4055.92 };

interface Data {
  source: string;
  simulated: boolean;
  rfms: Rfm[];
  spend: SpendRow[];
}

/** The CDNOW summary (ID,x,t_x,T,zbar in weeks), or simulated customers of the same size. */
function loadData(): Data {
  const csv = join(projectRoot(), 'data', 'cdnow', 'cdnow_customers_summary_with_transactions.csv');
  if (process.env.BENCH_FIT_SIMULATED !== '1') {
    const rows = readFileSync(csv, 'utf8')
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((line) => line.split(',').map(Number));
    return {
      source: 'CDNOW calibration summary (data/cdnow/cdnow_customers_summary_with_transactions.csv)',
      simulated: false,
      rfms: rows.map(([, x, tx, T]) => ({ x, tx, T })),
      spend: rows.map(([, x, , , zbar]) => ({ x, monetary: zbar })),
    };
  }
  const random = createSeededRandom(1);
  const rfms = simulateBgNbd(PUBLISHED_BG, Array.from({ length: 2357 }, () => 27 + 12 * random()), random);
  return {
    source: `SIMULATED (BENCH_FIT_SIMULATED=1): 2,357 customers from the published BG/NBD and Gamma-Gamma parameters, seed 1`,
    simulated: true,
    rfms,
    spend: simulateGammaGamma(PUBLISHED_GG, rfms.map((r) => r.x), random),
  };
}

interface Timing {
  medianMs: number;
  p95Ms: number;
  runs: number;
}

/** Wall time of `run` over REPS repetitions after WARMUPS untimed ones; returns the last result too. */
function time<T>(label: string, run: () => T): { timing: Timing; result: T } {
  say(`${label}: ${WARMUPS} warm-ups + ${REPS} timed runs…`);
  let result = run();
  for (let i = 1; i < WARMUPS; i++) result = run();
  const ms: number[] = [];
  for (let i = 0; i < REPS; i++) {
    const started = performance.now();
    result = run();
    ms.push(performance.now() - started);
  }
  return { timing: sortedTiming([...ms]), result };
}

interface Row {
  what: string;
  baseline: boolean;
  medianMs: number;
  p95Ms: number;
  evaluations: number;
  logLikelihood: number | null;
  converged: boolean | null;
}

interface ModelResult {
  model: string;
  customers: number;
  rows: Row[];
  /** Share of the default fit's wall time spent inside the likelihood (medians). */
  likelihoodShare: number;
  params: Record<string, number>;
  published: Record<string, number>;
  publishedLogLikelihood: number;
}

interface ModelUnderTest<P> {
  model: string;
  customers: number;
  fit: (starts?: P[]) => { params: P; logLikelihood: number; evaluations: number; converged: boolean };
  /** The fit's default starts, in order; the second is the first moment-matched one. */
  starts: P[];
  /** The prepared log-likelihood, as the fit evaluates it. */
  logLikelihood: (params: P) => number;
  /** Parameters to and from the optimiser's log space. */
  toLog: (params: P) => number[];
  fromLog: (v: number[]) => P;
  published: P;
  publishedLogLikelihood: number;
}

const sortedTiming = (ms: number[]): Timing => {
  const sorted = Float64Array.from(ms).sort();
  return { medianMs: round2(percentile(sorted, 50)), p95Ms: round2(percentile(sorted, 95)), runs: sorted.length };
};

/** The four rows of one model (see the header). */
function benchModel<P extends object>(m: ModelUnderTest<P>): ModelResult {
  const { model, fit, starts, logLikelihood, toLog, fromLog } = m;
  const negative = (v: number[]) => {
    const ll = logLikelihood(fromLog(v));
    return Number.isFinite(ll) ? -ll : NON_FINITE_PENALTY;
  };
  const full = time(`${model} default fit`, () => fit());
  const single = time(`${model} one start`, () => fit([starts[1]]));
  const plain = time(`${model} numeric.uncmin alone`, () => {
    let evaluations = 0;
    const counted = (v: number[]) => {
      evaluations++;
      return negative(v);
    };
    try {
      const r = numeric.uncmin(counted, toLog(starts[0]));
      return { logLikelihood: -r.f, evaluations, converged: r.message === 'Newton step smaller than tol', failed: null as string | null };
    } catch (err) {
      return { logLikelihood: Number.NaN, evaluations, converged: false, failed: (err as Error).message };
    }
  });
  const insideMs: number[] = [];
  const inside = time(`${model} default fit, likelihood stopwatched`, () => {
    let ms = 0;
    const stopwatched = (v: number[]) => {
      const t0 = performance.now();
      const value = negative(v);
      ms += performance.now() - t0;
      return value;
    };
    const r = minimize(stopwatched, starts.map(toLog));
    insideMs.push(ms);
    return r;
  });
  const insideTiming = sortedTiming(insideMs.slice(-REPS));
  const plainLabel = plain.result.failed ? `numeric.uncmin alone from all-ones (threw: ${plain.result.failed})` : 'numeric.uncmin alone from all-ones, numeric.gradient';
  return {
    model,
    customers: m.customers,
    rows: [
      { what: 'default fit (3 starts, each BFGS → Nelder–Mead → BFGS)', baseline: false, ...full.timing, evaluations: full.result.evaluations, logLikelihood: full.result.logLikelihood, converged: full.result.converged },
      { what: 'one start (the first moment-matched)', baseline: true, ...single.timing, evaluations: single.result.evaluations, logLikelihood: single.result.logLikelihood, converged: single.result.converged },
      { what: plainLabel, baseline: true, ...plain.timing, evaluations: plain.result.evaluations, logLikelihood: plain.result.logLikelihood, converged: plain.result.converged },
      { what: 'inside the likelihood, in a stopwatched re-run of the default fit', baseline: true, ...insideTiming, evaluations: inside.result.evaluations, logLikelihood: null, converged: null },
    ],
    likelihoodShare: round2(insideTiming.medianMs / inside.timing.medianMs),
    params: full.result.params as Record<string, number>,
    published: m.published as Record<string, number>,
    publishedLogLikelihood: m.publishedLogLikelihood,
  };
}

function main(): void {
  const started = Date.now();
  const loadAtStart = loadavg()[0];
  const data = loadData();
  say(`fit benchmark: ${data.source}; ${REPS} timed runs per row`);
  const buyers = data.spend.filter((r) => r.x > 0).length;
  const bg = benchModel<BgNbdParams>({
    model: 'BG/NBD',
    customers: data.rfms.length,
    fit: (starts) => fitBgNbd(data.rfms, { starts }),
    starts: defaultBgNbdStarts(data.rfms),
    logLikelihood: prepareBgNbdLogLikelihood(data.rfms),
    toLog: (p) => [p.r, p.alpha, p.a, p.b].map(Math.log),
    fromLog: (v) => ({ r: Math.exp(v[0]), alpha: Math.exp(v[1]), a: Math.exp(v[2]), b: Math.exp(v[3]) }),
    published: PUBLISHED_BG,
    publishedLogLikelihood: PUBLISHED_LL.bgNbd,
  });
  const gg = benchModel<GammaGammaParams>({
    model: 'Gamma-Gamma',
    customers: buyers,
    fit: (starts) => fitGammaGamma(data.spend, { starts }),
    starts: defaultGammaGammaStarts(data.spend),
    logLikelihood: prepareGammaGammaLogLikelihood(data.spend),
    toLog: (p) => [p.p, p.q, p.gamma].map(Math.log),
    fromLog: (v) => ({ p: Math.exp(v[0]), q: Math.exp(v[1]), gamma: Math.exp(v[2]) }),
    published: PUBLISHED_GG,
    publishedLogLikelihood: PUBLISHED_LL.gammaGamma,
  });
  const loadAtEnd = loadavg()[0];
  const cell = (n: number | null, digits: number) => (n === null || Number.isNaN(n) ? '–' : n.toFixed(digits));
  const rows = [
    ['model / what is timed', 'median ms', 'p95 ms', 'LL evaluations', 'log-likelihood', 'converged'],
    ...[bg, gg].flatMap((m) =>
      m.rows.map((r) => [
        `${m.model} (${m.customers}): ${r.baseline ? '[baseline] ' : ''}${r.what}`,
        cell(r.medianMs, 1),
        cell(r.p95Ms, 1),
        r.evaluations === null ? '–' : String(r.evaluations),
        cell(r.logLikelihood, 3),
        r.converged === null ? '–' : r.converged ? 'yes' : 'no',
      ]),
    ),
  ];
  console.log('');
  console.log(`Lifetime-model fits: ${data.source}.`);
  console.log(`Node ${process.version}; ${REPS} timed runs per row after ${WARMUPS} warm-ups; load average ${loadAtStart.toFixed(2)} at start, ${loadAtEnd.toFixed(2)} at end.`);
  console.log('');
  console.log(table(rows));
  console.log('');
  for (const m of [bg, gg]) console.log(`${m.model}: ${Math.round(m.likelihoodShare * 100)} % of the default fit's time (its stopwatched re-run) is spent evaluating the likelihood.`);
  const reference = data.simulated ? 'generating' : 'published';
  for (const m of [bg, gg]) {
    const fitted = Object.entries(m.params).map(([k, v]) => `${k} ${v.toFixed(4)} (${reference} ${m.published[k]})`);
    const ll = data.simulated ? '' : ` (published ${m.publishedLogLikelihood})`;
    console.log(`${m.model}: ${fitted.join(', ')}; LL ${m.rows[0].logLikelihood?.toFixed(3)}${ll}.`);
  }
  if (data.simulated) console.log('Data were SIMULATED from the published parameters: estimates differ from them by sampling noise.');
  const report = {
    meta: {
      ...machineMeta(loadAtStart),
      loadAverageAtEnd: round2(loadAtEnd),
      data: data.source,
      simulated: data.simulated,
      repetitions: REPS,
      warmups: WARMUPS,
      versions: Object.fromEntries(['numeric', '@stdlib/math-base-special-gammaln', '@stdlib/math-base-special-hyp2f1'].map((p) => [p, packageVersion(p)])),
      notes: [
        'default fit: fitBgNbd / fitGammaGamma with their default starts (3 each); each start runs BFGS (numeric.uncmin on central differences), Nelder–Mead, BFGS; the best is kept.',
        'one start: the same fit from the first moment-matched start only (baseline: the cost of multi-start).',
        'numeric.uncmin alone: numeric.uncmin with its default tolerance and gradient (numeric.gradient) from all-ones (the first default start), same objective, no polish (baseline: the library out of the box).',
        'time inside the likelihood: the default fit re-run through minimize() with the same starts and a stopwatch around each evaluation (medians over the runs); the rest of the fit is optimiser overhead.',
      ],
      wallSeconds: Math.round((Date.now() - started) / 1000),
    },
    models: [bg, gg],
  };
  writeResults('fit', report);
  console.log(`\nwritten: bench/results/fit.json (${report.meta.wallSeconds}s in all)`);
}

try {
  main();
  process.exit(0);
} catch (err) {
  console.error(`fit benchmark failed: ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
}
