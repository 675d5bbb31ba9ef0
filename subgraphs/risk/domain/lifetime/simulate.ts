// Synthetic customer bases drawn from the BG/NBD and Gamma-Gamma generative processes, so that
// fits can be checked against known parameters (tests) and timed without the CDNOW data (bench).
// The random source is an argument: a seeded generator gives the same customers on every run.
import type { BgNbdParams, Rfm } from './bg-nbd';
import type { GammaGammaParams, SpendRow } from './gamma-gamma';

export { createSeededRandom, type Random } from '../../../common/math/random';
import type { Random } from '../../../common/math/random';

/** Standard normal by Box–Muller (one of the pair; simplicity over speed). */
function sampleNormal(random: Random): number {
  const u = 1 - random(); // (0, 1]
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * Gamma(shape, rate) (mean shape/rate) by Marsaglia & Tsang (2000); for shape < 1 a Gamma(shape + 1)
 * draw times U^{1/shape}.
 */
export function sampleGamma(random: Random, shape: number, rate: number): number {
  if (!(shape > 0) || !(rate > 0)) throw new RangeError(`sampleGamma: shape and rate must be > 0 (shape=${shape}, rate=${rate})`);
  if (shape < 1) return sampleGamma(random, shape + 1, rate) * Math.pow(1 - random(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = sampleNormal(random);
    const v = Math.pow(1 + c * z, 3);
    if (v <= 0) continue;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return (d * v) / rate;
  }
}

/** Beta(a, b) as X/(X + Y) with X ~ Gamma(a), Y ~ Gamma(b). */
export function sampleBeta(random: Random, a: number, b: number): number {
  const x = sampleGamma(random, a, 1);
  return x / (x + sampleGamma(random, b, 1));
}

/**
 * One customer per age T (time from first purchase to the end of observation): λ ~ Gamma(r, α),
 * p ~ Beta(a, b); repeat purchases arrive at rate λ, and after each the customer drops out with
 * probability p (FHL 2005, assumptions i–v).
 */
export function simulateBgNbd(params: BgNbdParams, ages: readonly number[], random: Random): Rfm[] {
  return ages.map((T) => {
    const lambda = sampleGamma(random, params.r, params.alpha);
    const p = sampleBeta(random, params.a, params.b);
    let t = 0;
    let x = 0;
    let tx = 0;
    for (;;) {
      t += -Math.log(1 - random()) / lambda;
      if (!(t <= T)) break;
      x++;
      tx = t;
      if (random() < p) break;
    }
    return { x, tx, T };
  });
}

/**
 * Mean spend over x transactions per customer: ν ~ Gamma(q, γ), each transaction ~ Gamma(p, ν)
 * (Colombo & Jiang 1999). Customers with x = 0 get monetary 0.
 */
export function simulateGammaGamma(params: GammaGammaParams, counts: readonly number[], random: Random): SpendRow[] {
  return counts.map((x) => {
    if (x === 0) return { x, monetary: 0 };
    const nu = sampleGamma(random, params.q, params.gamma);
    let sum = 0;
    for (let i = 0; i < x; i++) sum += sampleGamma(random, params.p, nu);
    return { x, monetary: sum / x };
  });
}
