import { createSeededRandom, type Random } from '../../../subgraphs/common/math/random';

/**
 * An independent, reproducible stream of uniforms for one purpose of one customer: the simulator
 * gives every customer its own streams, so what one customer does (or whether the playbook reached
 * them) never shifts the random numbers another customer sees.
 */
export function streamFor(seed: number, customer: number, purpose: number): Random {
  // a 32-bit mix of the three numbers (the constants are odd, so distinct inputs rarely collide)
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(customer + 1, 0xc2b2ae35) ^ Math.imul(purpose + 1, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return createSeededRandom((h ^ (h >>> 16)) >>> 0);
}

/** A Poisson count with mean `mean` (Knuth's product of uniforms; the means here are small). */
export function poisson(random: Random, mean: number): number {
  if (!(mean >= 0)) throw new RangeError(`poisson: mean must be >= 0 (mean=${mean})`);
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

/** A standard normal draw (Box–Muller). */
export function normal(random: Random): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** One of `items`, by their `weights` (which need not sum to 1). */
export function pick<T>(random: Random, items: readonly T[], weights?: readonly number[]): T {
  if (!weights) return items[Math.floor(random() * items.length)];
  const total = weights.reduce((a, b) => a + b, 0);
  let u = random() * total;
  for (let i = 0; i < items.length; i++) {
    u -= weights[i];
    if (u < 0) return items[i];
  }
  return items[items.length - 1];
}
