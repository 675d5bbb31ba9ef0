import { betaln } from './special';

/** Relative tolerance of the continued fraction: a few ulps of a double. */
const EPSILON = 1e-15;
/** Guards the modified Lentz algorithm against a zero denominator. */
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;

/**
 * Regularized incomplete beta function I_x(a, b) = B(x; a, b)/B(a, b), for the Student t tails.
 * Continued fraction by modified Lentz (Press et al., Numerical Recipes, 3rd ed., §6.4), evaluated
 * directly for x < (a + 1)/(a + b + 2), where it converges fast, and through the symmetry
 * I_x(a, b) = 1 − I_{1−x}(b, a) otherwise.
 */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !Number.isFinite(a)) throw new RangeError(`regularizedBeta: a must be finite and > 0 (a=${a})`);
  if (!(b > 0) || !Number.isFinite(b)) throw new RangeError(`regularizedBeta: b must be finite and > 0 (b=${b})`);
  if (!(x >= 0 && x <= 1)) throw new RangeError(`regularizedBeta: x must be in [0, 1] (x=${x})`);
  if (x === 0) return 0;
  if (x === 1) return 1;
  if (x < (a + 1) / (a + b + 2)) return prefactor(x, a, b) * continuedFraction(x, a, b) / a;
  return 1 - (prefactor(1 - x, b, a) * continuedFraction(1 - x, b, a)) / b;
}

/** x^a (1−x)^b / B(a, b), in log space so large a and b stay finite. */
function prefactor(x: number, a: number, b: number): number {
  return Math.exp(a * Math.log(x) + b * Math.log1p(-x) - betaln(a, b));
}

// 1/(1+ d₁/(1+ d₂/(1+ …))) with d_{2m+1} = −(a+m)(a+b+m)x/((a+2m)(a+2m+1)), d_{2m} = m(b−m)x/((a+2m−1)(a+2m))
function continuedFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    const even = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + even * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + even / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    const odd = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + odd * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + odd / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) return h;
  }
  throw new RangeError(`regularizedBeta: continued fraction did not converge (x=${x}, a=${a}, b=${b})`);
}
