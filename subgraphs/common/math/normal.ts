import { regularizedGammaQ } from './incomplete-gamma';

/**
 * Complementary error function erfc(x) = 1 − erf(x). For x ≥ 0 it is Q(½, x²) (Abramowitz & Stegun
 * 7.1.2 with 6.5.17), so both tails come from the incomplete gamma code at full relative precision;
 * erfc(−x) = 2 − erfc(x).
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  return x >= 0 ? regularizedGammaQ(0.5, x * x) : 2 - regularizedGammaQ(0.5, x * x);
}

/** Standard normal CDF Φ(z) = ½ erfc(−z/√2). Accurate in the far lower tail (Φ(−8) ≈ 6.2e−16). */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Standard normal upper tail 1 − Φ(z) = ½ erfc(z/√2), without the cancellation of 1 − normalCdf(z). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

// Acklam's rational approximation (relative error < 1.15e−9), refined below to double precision;
// coefficients from the highest power down, for Horner's rule
const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
  -3.066479806614716e1, 2.506628277459239,
];
const B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
  -1.328068155288572e1, 1,
];
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416, 1];
const P_LOW = 0.02425;

function horner(coefficients: readonly number[], x: number): number {
  let sum = 0;
  for (const c of coefficients) sum = sum * x + c;
  return sum;
}

/**
 * Standard normal quantile Φ⁻¹(p) for p in (0, 1); −Infinity at 0 and +Infinity at 1. Acklam's
 * rational approximation followed by one Halley step on Φ(x) − p, which brings it to about 1e−15.
 */
export function normalQuantile(p: number): number {
  if (!(p >= 0 && p <= 1)) throw new RangeError(`normalQuantile: p must be in [0, 1] (p=${p})`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  let x: number;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = horner(C, q) / horner(D, q);
  } else if (p <= 1 - P_LOW) {
    const q = p - 0.5;
    const r = q * q;
    x = (horner(A, r) * q) / horner(B, r);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -horner(C, q) / horner(D, q);
  }
  // Halley's step; in the upper half the error is taken from the upper tail so that p near 1
  // (where 1 − p has lost digits) does not limit the refinement
  const e = x > 0 ? -(normalSf(x) - (1 - p)) : normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}
