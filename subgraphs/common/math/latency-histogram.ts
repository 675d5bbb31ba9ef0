/**
 * A fixed-bucket latency histogram: counts of durations per bucket, cheap to add up across seconds
 * and processes (a sum of counts), from which percentiles are read to within a bucket's width.
 * Buckets grow geometrically (about ×1.5 per step from 1 ms to 15 min), so a percentile is off by
 * at most a third of its value, whatever its scale: the price of storing a minute of any stage in
 * a few dozen counters.
 */

/**
 * Upper bounds (inclusive, in ms) of the buckets; a duration above the last one falls into a final
 * overflow bucket, index `LATENCY_BUCKET_BOUNDS_MS.length`.
 */
export const LATENCY_BUCKET_BOUNDS_MS: readonly number[] = [
  1, 2, 3, 5, 8, 12, 18, 27, 40, 60, 90, 135, 200, 300, 450, 675, 1_000, 1_500, 2_250, 3_400, 5_000, 7_500, 11_000, 17_000, 25_000, 38_000,
  57_000, 85_000, 128_000, 192_000, 288_000, 432_000, 648_000, 900_000,
];

/** The number of buckets, the overflow bucket included. */
export const LATENCY_BUCKET_COUNT = LATENCY_BUCKET_BOUNDS_MS.length + 1;

/**
 * The bucket index of a duration in ms: the first bucket whose upper bound is at least `ms`.
 * Negative durations (clock skew between processes) count as 0; NaN is a RangeError.
 */
export function latencyBucketOf(ms: number): number {
  if (Number.isNaN(ms)) throw new RangeError('latencyBucketOf: ms must be a number (ms=NaN)');
  const value = Math.max(0, ms);
  let lo = 0;
  let hi = LATENCY_BUCKET_BOUNDS_MS.length;
  // binary search for the first bound >= value; hi = length is the overflow bucket
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (LATENCY_BUCKET_BOUNDS_MS[mid] >= value) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The `q`-quantile (0 < q ≤ 1) of the durations counted in `counts` (index = bucket, as
 * `latencyBucketOf` gives it; missing entries count 0), in ms: the nearest-rank sample (rank
 * ⌈q·n⌉) placed by linear interpolation inside its bucket, between the bucket's lower and upper
 * bound. The overflow bucket reports the last bound. Null when nothing was counted.
 */
export function latencyPercentile(counts: readonly number[], q: number): number | null {
  if (!(q > 0 && q <= 1)) throw new RangeError(`latencyPercentile: q must be in (0, 1] (q=${q})`);
  const total = counts.reduce((acc, c) => acc + Math.max(0, c || 0), 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = Math.max(0, counts[i] || 0);
    if (c === 0) continue;
    if (seen + c >= rank) {
      if (i >= LATENCY_BUCKET_BOUNDS_MS.length) return LATENCY_BUCKET_BOUNDS_MS[LATENCY_BUCKET_BOUNDS_MS.length - 1];
      const lower = i === 0 ? 0 : LATENCY_BUCKET_BOUNDS_MS[i - 1];
      const upper = LATENCY_BUCKET_BOUNDS_MS[i];
      return lower + ((upper - lower) * (rank - seen)) / c;
    }
    seen += c;
  }
  return LATENCY_BUCKET_BOUNDS_MS[LATENCY_BUCKET_BOUNDS_MS.length - 1];
}

/** Adds histograms bucket by bucket (different lengths allowed); the inputs are not changed. */
export function mergeLatencyCounts(histograms: readonly (readonly number[])[]): number[] {
  const sum = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  for (const counts of histograms) counts.forEach((c, i) => (sum[i] = (sum[i] ?? 0) + (c || 0)));
  return sum;
}
