// Special functions the lifetime models need. The @stdlib packages are small, well-tested ports of
// Cephes/Boost; these wrappers pin one import style and one place to swap implementations.
import stdlibBetaln from '@stdlib/math-base-special-betaln';
import stdlibGammaln from '@stdlib/math-base-special-gammaln';
import stdlibHyp2f1 from '@stdlib/math-base-special-hyp2f1';

// Bound once: likelihood loops call logAddExp millions of times, and looking up the global `Math`
// is ~10× slower inside a vm context (jest's).
const { abs, exp, log1p } = Math;

/** ln |Γ(x)|: likelihoods multiply gamma functions whose values overflow long before their logs do. */
export function gammaln(x: number): number {
  return stdlibGammaln(x);
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), without the cancellation of subtracting three gammalns. */
export function betaln(a: number, b: number): number {
  return stdlibBetaln(a, b);
}

/**
 * Gauss hypergeometric function ₂F₁(a, b; c; z), which the BG/NBD conditional expectations need.
 * Returns NaN or ±Infinity where the series diverges (|z| ≥ 1 with c − a − b ≤ 0); callers that can
 * use Euler's transformation do so themselves.
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  return stdlibHyp2f1(a, b, c, z);
}

/**
 * ln Σ exp(vᵢ), shifted by the largest term so that sums of probabilities kept in log space neither
 * overflow nor underflow. −Infinity for no terms or when every term is −Infinity.
 */
export function logSumExp(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  if (max === Infinity) return Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/**
 * ln(exp(a) + exp(b)): the two-term logSumExp, without an array, for likelihood inner loops that
 * run it millions of times in a fit.
 */
export function logAddExp(a: number, b: number): number {
  const max = a > b ? a : b;
  if (max === -Infinity || max === Infinity) return max;
  return max + log1p(exp(-abs(a - b)));
}
