import type { Random } from '../../../../subgraphs/common/math/random';

/**
 * Binomial(n, p), seeded: inversion of the CDF from k = 0 (one uniform per draw, ~np steps), which
 * is much faster under jest than n Bernoulli draws. When (1 − p)ⁿ would underflow it falls back to
 * summing Bernoulli draws. Exact either way.
 */
export function drawBinomial(random: Random, trials: number, p: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return trials;
  const logFirst = trials * Math.log1p(-p);
  if (logFirst < -700) {
    let successes = 0;
    for (let i = 0; i < trials; i++) if (random() < p) successes++;
    return successes;
  }
  const odds = p / (1 - p);
  let pmf = Math.exp(logFirst);
  let cdf = pmf;
  const u = random();
  let k = 0;
  while (u >= cdf && k < trials) {
    pmf *= ((trials - k) / (k + 1)) * odds;
    k++;
    cdf += pmf;
  }
  return k;
}
