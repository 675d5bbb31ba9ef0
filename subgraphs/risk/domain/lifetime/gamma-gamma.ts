// Gamma-Gamma model of spend per transaction: Fader, Hardie & Lee (2005), "RFM and CLV: Using
// Iso-Value Curves for Customer Base Analysis", Journal of Marketing Research 42(4), after Colombo &
// Jiang (1999). A customer's transaction values are Gamma(p, ν) with ν ~ Gamma(q, γ) across
// customers, so a customer's mean spend shrinks from their observed average towards the population
// mean the fewer transactions it rests on. Assumes spend is independent of purchase frequency, which
// is what lets it be paired with BG/NBD for a lifetime value.
import { boundedInLogSpace } from '../../../common/math/log-box';
import { minimize, type MinimizeOptions } from '../../../common/math/minimize';
import { gammaln } from '../../../common/math/special';

// Bound once for the likelihood loop: looking up the global `Math` is ~10× slower inside a vm
// context (jest's), and a fit evaluates it a few million times.
const { log } = Math;

export interface GammaGammaParams {
  /** Shape of each transaction's value around the customer's mean. */
  p: number;
  /** Shape and scale of the Gamma heterogeneity in customers' ν. */
  q: number;
  gamma: number;
}

/** A customer's repeat-purchase count and mean repeat-purchase value (zbar), as buildRfm gives them. */
export interface SpendRow {
  x: number;
  monetary: number;
}

export interface GammaGammaFit {
  params: GammaGammaParams;
  /** Σ log-likelihood over the customers with x > 0. */
  logLikelihood: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  /** Customers the fit used (those with x > 0). */
  customers: number;
}

export interface FitGammaGammaOptions extends MinimizeOptions {
  /** Replaces the default deterministic starts (see defaultGammaGammaStarts). */
  starts?: GammaGammaParams[];
}

/** Throws a RangeError unless every parameter is finite and positive. */
export function assertGammaGammaParams(params: GammaGammaParams): void {
  for (const key of ['p', 'q', 'gamma'] as const) {
    const v = params[key];
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`Gamma-Gamma parameter ${key} must be finite and > 0 (${key}=${v})`);
  }
}

/**
 * Throws a RangeError for a negative or fractional x, or a monetary value that is not finite and
 * positive when x > 0 (the model is for positive spend; refunds belong elsewhere). When x = 0 the
 * monetary value is not used and must only be finite and >= 0.
 */
export function assertSpendRow(row: SpendRow): void {
  const { x, monetary } = row;
  if (!Number.isInteger(x) || x < 0) throw new RangeError(`x (repeat purchases) must be a whole number >= 0 (x=${x})`);
  if (!Number.isFinite(monetary) || monetary < 0 || (x > 0 && monetary === 0)) {
    throw new RangeError(`monetary (mean repeat spend) must be finite and > 0 when x > 0, >= 0 otherwise (x=${x}, monetary=${monetary})`);
  }
}

/**
 * Σ over rows (all with x > 0) of ln f(zbar | p, q, γ, x), the density of a customer's mean spend zbar
 * over x transactions, as lifetimes' GammaGammaFitter writes it:
 *   ln Γ(px + q) − ln Γ(px) − ln Γ(q) + q ln γ + (px − 1) ln zbar + px ln x − (px + q) ln(x·zbar + γ).
 * Rows with x = 0 carry no spend information; prepareGammaGammaLogLikelihood leaves them out.
 */
function sumLogLikelihood(params: GammaGammaParams, rows: readonly SpendRow[]): number {
  const { p, q, gamma } = params;
  const shared = -gammaln(q) + q * log(gamma);
  let total = 0;
  for (let i = 0; i < rows.length; i++) {
    const { x, monetary } = rows[i];
    const px = p * x;
    total += shared + gammaln(px + q) - gammaln(px) + (px - 1) * log(monetary) + px * log(x) - (px + q) * log(x * monetary + gamma);
  }
  return total;
}

/** Σ log-likelihood of the rows with x > 0 at `params`; validates both. */
export function gammaGammaLogLikelihood(params: GammaGammaParams, rows: readonly SpendRow[]): number {
  assertGammaGammaParams(params);
  return prepareGammaGammaLogLikelihood(rows)(params);
}

/**
 * The log-likelihood of these rows as a function of the parameters, with the rows validated and the
 * x = 0 ones dropped once: for callers that evaluate it many times (the fit, the benchmark). The
 * returned function does not validate parameters; non-positive ones give NaN.
 */
export function prepareGammaGammaLogLikelihood(rows: readonly SpendRow[]): (params: GammaGammaParams) => number {
  rows.forEach(assertSpendRow);
  const buyers = rows.filter((r) => r.x > 0);
  return (params) => sumLogLikelihood(params, buyers);
}

/**
 * Deterministic starts: all ones, and two whose population mean spend pγ/(q − 1) equals the mean
 * observed zbar (q = 3 and 4, p = 1 and 5), so the optimiser begins at the right scale of money.
 */
export function defaultGammaGammaStarts(rows: readonly SpendRow[]): GammaGammaParams[] {
  const buyers = rows.filter((r) => r.x > 0);
  const meanSpend = buyers.length ? buyers.reduce((s, r) => s + r.monetary, 0) / buyers.length : 1;
  return [
    { p: 1, q: 1, gamma: 1 },
    { p: 1, q: 3, gamma: 2 * meanSpend },
    { p: 5, q: 4, gamma: (3 * meanSpend) / 5 },
  ];
}

const GAMMA_GAMMA_LOG_BOUND = Math.log(1e9);

/**
 * Maximum-likelihood fit over ln p, ln q, ln γ, on the customers with x > 0, within a box (see
 * boundedInLogSpace) wide enough for γ in any currency's minor units (1e-9…1e9).
 */
export function fitGammaGamma(rows: readonly SpendRow[], opts: FitGammaGammaOptions = {}): GammaGammaFit {
  const logLikelihood = prepareGammaGammaLogLikelihood(rows);
  const buyers = rows.filter((r) => r.x > 0);
  if (!buyers.length) throw new RangeError('fitGammaGamma: no customers with repeat purchases (x > 0) to fit');
  const starts = (opts.starts ?? defaultGammaGammaStarts(buyers)).map((s) => {
    assertGammaGammaParams(s);
    return [Math.log(s.p), Math.log(s.q), Math.log(s.gamma)];
  });
  const fromLog = (v: readonly number[]): GammaGammaParams => ({ p: Math.exp(v[0]), q: Math.exp(v[1]), gamma: Math.exp(v[2]) });
  const result = minimize(boundedInLogSpace((v) => -logLikelihood(fromLog(v)), GAMMA_GAMMA_LOG_BOUND), starts, opts);
  const params = fromLog(result.x);
  return {
    params,
    logLikelihood: logLikelihood(params),
    iterations: result.iterations,
    evaluations: result.evaluations,
    converged: result.converged,
    customers: buyers.length,
  };
}

/**
 * E[M | p, q, γ, x, zbar], the expected mean spend per future transaction (FHL 2005, "RFM and CLV"):
 *   (γ + x·zbar) · p / (p·x + q − 1),
 * a weighted average of the population mean pγ/(q − 1) and the observed zbar; for x = 0 the
 * population mean. Needs q > 1 (otherwise the population mean is infinite): RangeError.
 */
export function expectedAverageSpend(params: GammaGammaParams, row: SpendRow): number {
  assertGammaGammaParams(params);
  assertSpendRow(row);
  const { p, q, gamma } = params;
  if (q <= 1) throw new RangeError(`expectedAverageSpend: q must be > 1 for a finite mean spend (q=${q})`);
  if (row.x === 0) return (p * gamma) / (q - 1);
  return ((gamma + row.x * row.monetary) * p) / (p * row.x + q - 1);
}
