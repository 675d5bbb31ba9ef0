// BG/NBD ("beta-geometric / negative binomial distribution") model of repeat purchasing:
// Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way", Marketing Science 24(2).
// While active, a customer buys at Poisson rate λ ~ Gamma(r, α); after each repeat purchase they
// drop out for good with probability p ~ Beta(a, b). From a customer's frequency x (repeat
// purchases), recency tx (time of the last purchase since the first) and age T (end of calibration
// since the first purchase) it gives the probability they are still active and their expected
// purchases ahead. Paper notation throughout; formulas match the `lifetimes` Python package.
import { boundedInLogSpace } from '../../../common/math/log-box';
import { minimize, type MinimizeOptions } from '../../../common/math/minimize';
import { hyp2f1, logAddExp } from '../../../common/math/special';

// Bound once for the likelihood loop: looking up the global `Math` is ~10× slower inside a vm
// context (jest's), and a fit evaluates these a few million times.
const { log, log1p } = Math;

export interface BgNbdParams {
  /** Shape of the Gamma heterogeneity in purchase rates. */
  r: number;
  /** Scale (rate parameter, in time units) of the Gamma heterogeneity in purchase rates. */
  alpha: number;
  /** Beta heterogeneity in dropout probabilities. */
  a: number;
  b: number;
}

/**
 * One customer's summary in the calibration period, in one time unit: x repeat purchases (a whole
 * number), the last at tx after the first, and T from the first purchase to the end of calibration.
 * 0 ≤ tx ≤ T. When x = 0 the model does not use tx (no repeat purchase to date), so any tx within
 * [0, T] is accepted and ignored rather than rejected: summaries from other tools sometimes carry one.
 */
export interface Rfm {
  x: number;
  tx: number;
  T: number;
}

export interface BgNbdFit {
  params: BgNbdParams;
  /** Σ log-likelihood at `params` (natural log, constant terms included, as the paper reports). */
  logLikelihood: number;
  /** Optimiser iterations and likelihood evaluations over every start (see minimize). */
  iterations: number;
  evaluations: number;
  converged: boolean;
}

export interface FitBgNbdOptions extends MinimizeOptions {
  /** Replaces the default deterministic starts (see defaultBgNbdStarts). */
  starts?: BgNbdParams[];
}

/** Throws a RangeError unless every parameter is finite and positive. */
export function assertBgNbdParams(params: BgNbdParams): void {
  for (const key of ['r', 'alpha', 'a', 'b'] as const) {
    const v = params[key];
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`BG/NBD parameter ${key} must be finite and > 0 (${key}=${v})`);
  }
}

/** Throws a RangeError for a negative, fractional or non-finite x, a negative or non-finite tx or T, or tx > T. */
export function assertRfm(rfm: Rfm): void {
  const { x, tx, T } = rfm;
  if (!Number.isInteger(x) || x < 0) throw new RangeError(`x (repeat purchases) must be a whole number >= 0 (x=${x})`);
  if (!Number.isFinite(tx) || tx < 0) throw new RangeError(`tx (recency) must be finite and >= 0 (tx=${tx})`);
  if (!Number.isFinite(T) || T < 0) throw new RangeError(`T (customer age) must be finite and >= 0 (T=${T})`);
  if (tx > T) throw new RangeError(`tx (recency) cannot exceed T (customer age) (tx=${tx}, T=${T})`);
}

/** Identical (x, tx, T) rows counted once with a weight: CDNOW's 2,357 customers collapse to ~1,000. */
interface WeightedRfm extends Rfm {
  weight: number;
}

function compress(rfms: readonly Rfm[]): WeightedRfm[] {
  const byKey = new Map<string, WeightedRfm>();
  for (const { x, tx, T } of rfms) {
    const key = `${x}|${x === 0 ? 0 : tx}|${T}`;
    const row = byKey.get(key);
    if (row) row.weight += 1;
    else byKey.set(key, { x, tx: x === 0 ? 0 : tx, T, weight: 1 });
  }
  return [...byKey.values()].sort((p, q) => p.x - q.x);
}

/**
 * Σ over rows of ln L(r, α, a, b | x, tx, T), the paper's individual-level likelihood:
 *   L = B(a, b + x)/B(a, b) · Γ(r + x) α^r / (Γ(r) (α + T)^{r+x})
 *     + δ_{x>0} B(a + 1, b + x − 1)/B(a, b) · Γ(r + x) α^r / (Γ(r) (α + tx)^{r+x}),
 * arranged as lifetimes arranges it (common factors outside a log-sum-exp of the two terms), except
 * that the gamma-function ratios are expanded as finite products, x being a whole number:
 *   ln Γ(r + x)/Γ(r) = Σ_{k<x} ln(r + k),  ln B(a, b + x)/B(a, b) = −Σ_{k<x} ln(1 + a/(b + k)).
 * Differences of gammaln values lose every digit when b runs off to 1e15, and the optimiser does
 * wander there: from all-ones the gammaln form reports a spurious LL of −7877 at a ≈ 1e-21.
 */
function sumLogLikelihood(params: BgNbdParams, rows: readonly WeightedRfm[]): number {
  const { r, alpha, a, b } = params;
  const logAlpha = log(alpha);
  const logA = log(a);
  let total = 0;
  let k = 0; // rows are sorted by x; the products are extended as x grows
  let logGammaRatio = 0;
  let logBetaRatio = 0;
  for (let i = 0; i < rows.length; i++) {
    const { x, tx, T, weight } = rows[i];
    for (; k < x; k++) {
      logGammaRatio += log(r + k);
      logBetaRatio -= log1p(a / (b + k));
    }
    const alive = -(r + x) * log(alpha + T);
    const mixture = x > 0 ? logAddExp(alive, logA - log(b + x - 1) - (r + x) * log(alpha + tx)) : alive;
    total += weight * (r * logAlpha + logGammaRatio + logBetaRatio + mixture);
  }
  return total;
}

/** Σ log-likelihood of the rows at `params`; validates both. */
export function bgNbdLogLikelihood(params: BgNbdParams, rfms: readonly Rfm[]): number {
  assertBgNbdParams(params);
  return prepareBgNbdLogLikelihood(rfms)(params);
}

/**
 * The log-likelihood of these rows as a function of the parameters, with the rows validated and
 * grouped once: for callers that evaluate it many times (the fit, the benchmark). The returned
 * function does not validate parameters; non-positive ones give NaN.
 */
export function prepareBgNbdLogLikelihood(rfms: readonly Rfm[]): (params: BgNbdParams) => number {
  rfms.forEach(assertRfm);
  const rows = compress(rfms);
  return (params) => sumLogLikelihood(params, rows);
}

/**
 * Deterministic starts: all ones (0 in log space), and two moment-matched ones whose mean purchase
 * rate r/α equals the observed repeat rate Σx / ΣT. All-ones alone stalls on CDNOW (LL −9600.18).
 */
export function defaultBgNbdStarts(rfms: readonly Rfm[]): BgNbdParams[] {
  const purchases = rfms.reduce((s, f) => s + f.x, 0);
  const exposure = rfms.reduce((s, f) => s + f.T, 0);
  const rate = purchases > 0 && exposure > 0 ? purchases / exposure : 1;
  return [
    { r: 1, alpha: 1, a: 1, b: 1 },
    { r: 1, alpha: 1 / rate, a: 1, b: 3 },
    { r: 0.25, alpha: 0.25 / rate, a: 0.5, b: 2 },
  ];
}

/**
 * Maximum-likelihood fit. The optimiser works on ln r, ln α, ln a, ln b so every point it tries is a
 * valid parameter set, kept within 1e-6…1e6 (see boundedInLogSpace: far out on the Poisson ridge the
 * likelihood cancels to garbage); non-finite likelihoods count as very poor (see minimize).
 */
export function fitBgNbd(rfms: readonly Rfm[], opts: FitBgNbdOptions = {}): BgNbdFit {
  if (!rfms.length) throw new RangeError('fitBgNbd: no customers to fit');
  const logLikelihood = prepareBgNbdLogLikelihood(rfms);
  const starts = (opts.starts ?? defaultBgNbdStarts(rfms)).map((s) => {
    assertBgNbdParams(s);
    return [Math.log(s.r), Math.log(s.alpha), Math.log(s.a), Math.log(s.b)];
  });
  const fromLog = (v: readonly number[]): BgNbdParams => ({ r: Math.exp(v[0]), alpha: Math.exp(v[1]), a: Math.exp(v[2]), b: Math.exp(v[3]) });
  const result = minimize(boundedInLogSpace((v) => -logLikelihood(fromLog(v))), starts, opts);
  const params = fromLog(result.x);
  return { params, logLikelihood: logLikelihood(params), iterations: result.iterations, evaluations: result.evaluations, converged: result.converged };
}

/**
 * P(active at T | x, tx, T) (Fader, Hardie & Lee, "Computing P(alive) using the BG/NBD model"),
 * through its log-odds so that long-lapsed frequent buyers give a small probability instead of 1/∞:
 *   P = 1 / (1 + δ_{x>0} · a/(b + x − 1) · ((α + T)/(α + tx))^{r+x}); 1 when x = 0.
 */
export function probabilityAlive(params: BgNbdParams, rfm: Rfm): number {
  assertBgNbdParams(params);
  assertRfm(rfm);
  const { r, alpha, a, b } = params;
  const { x, tx, T } = rfm;
  if (x === 0) return 1;
  const logOdds = (r + x) * Math.log((alpha + T) / (alpha + tx)) + Math.log(a / (b + x - 1));
  return 1 / (1 + Math.exp(logOdds));
}

/**
 * ln ₂F₁(a, b; c; z) for 0 ≤ z < 1, through Euler's transformation
 * ₂F₁(a, b; c; z) = (1 − z)^{c−a−b} ₂F₁(c − a, c − b; c; z) when the direct series overflows (large x).
 */
function logHyp2f1(a: number, b: number, c: number, z: number): number {
  const direct = hyp2f1(a, b, c, z);
  if (Number.isFinite(direct) && direct > 0) return Math.log(direct);
  return Math.log(hyp2f1(c - a, c - b, c, z)) + (c - a - b) * Math.log(1 - z);
}

/**
 * The expectations below carry a factor 1/(a − 1) times a bracket that vanishes at a = 1; the limit
 * is finite, so near a = 1 they are evaluated either side and averaged (error ~1e-10 relative).
 */
function aroundUnitA(params: BgNbdParams, evaluate: (p: BgNbdParams) => number): number {
  if (Math.abs(params.a - 1) >= 1e-6) return evaluate(params);
  return (evaluate({ ...params, a: 1 - 1e-5 }) + evaluate({ ...params, a: 1 + 1e-5 })) / 2;
}

function assertHorizon(t: number): void {
  if (!Number.isFinite(t) || t < 0) throw new RangeError(`t (horizon) must be finite and >= 0 (t=${t})`);
}

/**
 * E[X(t)]: expected repeat purchases in (0, t] of a customer who made a first purchase at 0
 * (paper eq. 9):
 *   (a + b − 1)/(a − 1) · [1 − (α/(α + t))^r · ₂F₁(r, b; a + b − 1; t/(α + t))].
 */
export function expectedPurchasesNewCustomer(params: BgNbdParams, t: number): number {
  assertBgNbdParams(params);
  assertHorizon(t);
  if (t === 0) return 0;
  return aroundUnitA(params, ({ r, alpha, a, b }) => {
    const z = t / (alpha + t);
    const logTerm = r * Math.log(alpha / (alpha + t)) + logHyp2f1(r, b, a + b - 1, z);
    return ((a + b - 1) / (a - 1)) * -Math.expm1(logTerm);
  });
}

/**
 * E[Y(t) | x, tx, T]: expected purchases in (T, T + t] of a customer with this history (paper eq. 10):
 *   (a + b + x − 1)/(a − 1) · [1 − ((α + T)/(α + T + t))^{r+x} · ₂F₁(r + x, b + x; a + b + x − 1; t/(α + T + t))]
 *   ÷ (1 + δ_{x>0} · a/(b + x − 1) · ((α + T)/(α + tx))^{r+x}).
 */
export function expectedPurchases(params: BgNbdParams, t: number, rfm: Rfm): number {
  assertBgNbdParams(params);
  assertHorizon(t);
  assertRfm(rfm);
  if (t === 0) return 0;
  const { x, tx, T } = rfm;
  return aroundUnitA(params, ({ r, alpha, a, b }) => {
    const z = t / (alpha + T + t);
    const logTerm = (r + x) * Math.log((alpha + T) / (alpha + T + t)) + logHyp2f1(r + x, b + x, a + b + x - 1, z);
    const numerator = ((a + b + x - 1) / (a - 1)) * -Math.expm1(logTerm);
    const denominator = x > 0 ? 1 + Math.exp(Math.log(a / (b + x - 1)) + (r + x) * Math.log((alpha + T) / (alpha + tx))) : 1;
    return numerator / denominator;
  });
}
