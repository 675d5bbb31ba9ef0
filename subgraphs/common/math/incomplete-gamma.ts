import { gammaln } from './special';

/** Relative tolerance of the series and the continued fraction: a few ulps of a double. */
const EPSILON = 1e-15;
/** Guards the modified Lentz algorithm against a zero denominator. */
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;

/**
 * Regularized incomplete gamma functions P(a, x) = γ(a, x)/Γ(a) and Q(a, x) = 1 − P(a, x), for the
 * χ² and normal tails. Series for x < a + 1, continued fraction otherwise (Press et al., Numerical
 * Recipes, 3rd ed., §6.2): each is the one that converges fast there, and computing the small
 * tail directly (not as 1 − the large one) keeps p-values like 1e-12 accurate instead of 0.
 */
export function regularizedGammaP(a: number, x: number): number {
  assertArgs('regularizedGammaP', a, x);
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  return x < a + 1 ? lowerSeries(a, x) : 1 - upperContinuedFraction(a, x);
}

/** Q(a, x) = Γ(a, x)/Γ(a), the upper tail; see {@link regularizedGammaP}. */
export function regularizedGammaQ(a: number, x: number): number {
  assertArgs('regularizedGammaQ', a, x);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperContinuedFraction(a, x);
}

function assertArgs(fn: string, a: number, x: number): void {
  if (!(a > 0) || !Number.isFinite(a)) throw new RangeError(`${fn}: a must be finite and > 0 (a=${a})`);
  if (!(x >= 0)) throw new RangeError(`${fn}: x must be >= 0 (x=${x})`);
}

/** e^{−x} x^a / Γ(a), the prefactor both expansions share, in log space so large a and x stay finite. */
function prefactor(a: number, x: number): number {
  return Math.exp(-x + a * Math.log(x) - gammaln(a));
}

// P(a, x) = prefactor/a · Σ_{n≥0} x^n / ((a+1)…(a+n))
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < MAX_ITERATIONS; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) return Math.min(1, sum * prefactor(a, x));
  }
  throw new RangeError(`regularizedGammaP: series did not converge (a=${a}, x=${x})`);
}

// Q(a, x) = prefactor · 1/(x+1−a− 1·(1−a)/(x+3−a− 2·(2−a)/(x+5−a− …))), by modified Lentz
function upperContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) return Math.min(1, h * prefactor(a, x));
  }
  throw new RangeError(`regularizedGammaQ: continued fraction did not converge (a=${a}, x=${x})`);
}
