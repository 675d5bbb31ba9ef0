// Latency summaries and small number helpers shared by the benchmarks that report percentiles.
import { percentile, round2 } from './report';

/** p50/p99/max of a set of measurements (ms unless said otherwise), and how many there were. */
export interface Stats {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

/** Nearest-rank p50/p99 and the maximum, rounded to 0.01; NaN for an empty set. */
export function stats(xs: number[]): Stats {
  const s = Float64Array.from(xs).sort();
  return { p50: round2(percentile(s, 50)), p99: round2(percentile(s, 99)), max: round2(s.length ? s[s.length - 1] : NaN), n: s.length };
}

export const round1 = (n: number): number => Math.round(n * 10) / 10;

/** A number with one decimal for a table cell, `–` when it is not finite (no measurement). */
export const fmt = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '–');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
