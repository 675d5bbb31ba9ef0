import { DEFAULT_CONFIDENCE, type Interval } from './confidence';
import { wilsonInterval } from './wilson';

/** One arm's binomial outcome: `successes` of `trials` had the outcome. */
export interface BinomialCount {
  successes: number;
  trials: number;
}

/**
 * Newcombe's hybrid score interval for p₁ − p₂ of two independent proportions (Newcombe 1998,
 * "Interval estimation for the difference between independent proportions: comparison of eleven
 * methods", Stat Med 17:873–890, method 10). With (l₁, u₁), (l₂, u₂) the Wilson intervals and
 * δ = p̂₁ − p̂₂:
 *
 *   L = δ − √((p̂₁ − l₁)² + (u₂ − p̂₂)²),   U = δ + √((u₁ − p̂₁)² + (p̂₂ − l₂)²).
 *
 * Each arm contributes the distance to its own Wilson bound on the side that moves δ, so the
 * interval inherits Wilson's asymmetry near 0 and 1 where the Wald difference interval undercovers.
 */
export function newcombeInterval(
  first: BinomialCount,
  second: BinomialCount,
  confidence: number = DEFAULT_CONFIDENCE,
): Interval {
  const w1 = wilsonInterval(first.successes, first.trials, confidence);
  const w2 = wilsonInterval(second.successes, second.trials, confidence);
  const p1 = first.successes / first.trials;
  const p2 = second.successes / second.trials;
  const delta = p1 - p2;
  return {
    lower: Math.max(-1, delta - Math.hypot(p1 - w1.lower, w2.upper - p2)),
    upper: Math.min(1, delta + Math.hypot(w1.upper - p1, p2 - w2.lower)),
  };
}
