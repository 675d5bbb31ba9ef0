/** Uniform [0, 1) numbers. */
export type Random = () => number;

/**
 * mulberry32: a small, fast, well-mixed 32-bit generator, reproducible from a seed on every
 * platform. Enough for holdout splits, simulations and synthetic data; not for secrets.
 */
export function createSeededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
