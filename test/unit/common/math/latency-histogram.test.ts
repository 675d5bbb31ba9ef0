import {
  LATENCY_BUCKET_BOUNDS_MS,
  LATENCY_BUCKET_COUNT,
  latencyBucketOf,
  latencyPercentile,
  mergeLatencyCounts,
} from '../../../../subgraphs/common/math/latency-histogram';

/** A histogram of these durations. */
function histogramOf(durations: readonly number[]): number[] {
  const counts = new Array<number>(LATENCY_BUCKET_COUNT).fill(0);
  for (const d of durations) counts[latencyBucketOf(d)]++;
  return counts;
}

/** Nearest-rank quantile of the raw samples. */
function exactQuantile(durations: readonly number[], q: number): number {
  const sorted = [...durations].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

describe('latencyBucketOf', () => {
  it.each([
    ['zero', 0, 0],
    ['a negative duration (clock skew)', -40, 0],
    ['exactly a bound', 1, 0],
    ['just above a bound', 1.01, 1],
    ['a second', 1_000, LATENCY_BUCKET_BOUNDS_MS.indexOf(1_000)],
    ['the last bound', 900_000, LATENCY_BUCKET_BOUNDS_MS.length - 1],
    ['beyond the last bound', 10_000_000, LATENCY_BUCKET_BOUNDS_MS.length],
  ])('puts %s in its bucket', (_name, ms, bucket) => {
    expect(latencyBucketOf(ms)).toBe(bucket);
  });

  it('refuses NaN', () => {
    expect(() => latencyBucketOf(Number.NaN)).toThrow(RangeError);
  });
});

describe('latencyPercentile', () => {
  it('is null for an empty histogram', () => {
    expect(latencyPercentile([], 0.5)).toBeNull();
    expect(latencyPercentile(new Array(LATENCY_BUCKET_COUNT).fill(0), 0.99)).toBeNull();
  });

  it('interpolates inside the bucket of the nearest-rank sample', () => {
    // 100 samples of 100 ms: bucket (90, 135]; rank 50 of 100 sits halfway through it
    const counts = histogramOf(new Array(100).fill(100));
    expect(latencyPercentile(counts, 0.5)).toBeCloseTo(90 + 45 * 0.5, 10);
    expect(latencyPercentile(counts, 1)).toBe(135);
  });

  it('separates the median from the tail', () => {
    const durations = [...new Array(98).fill(10), 5_000, 60_000];
    const counts = histogramOf(durations);
    expect(latencyPercentile(counts, 0.5)).toBeLessThanOrEqual(12);
    expect(latencyPercentile(counts, 0.99)).toBeGreaterThan(3_400);
    expect(latencyPercentile(counts, 0.99)).toBeLessThanOrEqual(5_000);
  });

  it('reports the last bound for the overflow bucket', () => {
    expect(latencyPercentile(histogramOf([2_000_000]), 0.5)).toBe(900_000);
  });

  it('stays within the bucket of the exact quantile (random samples)', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 50; round++) {
      const durations = Array.from({ length: 1 + Math.floor(random() * 500) }, () => Math.exp(random() * 12));
      const counts = histogramOf(durations);
      for (const q of [0.5, 0.9, 0.99]) {
        const exact = exactQuantile(durations, q);
        const bucket = latencyBucketOf(exact);
        const estimate = latencyPercentile(counts, q)!;
        expect(estimate).toBeGreaterThanOrEqual(bucket === 0 ? 0 : LATENCY_BUCKET_BOUNDS_MS[bucket - 1]);
        expect(estimate).toBeLessThanOrEqual(LATENCY_BUCKET_BOUNDS_MS[Math.min(bucket, LATENCY_BUCKET_BOUNDS_MS.length - 1)]);
      }
    }
  });

  it.each([0, -0.5, 1.5, Number.NaN])('refuses q=%d', (q) => {
    expect(() => latencyPercentile([1], q)).toThrow(RangeError);
  });
});

describe('mergeLatencyCounts', () => {
  it('adds histograms bucket by bucket', () => {
    const merged = mergeLatencyCounts([histogramOf([5, 100]), histogramOf([5]), []]);
    expect(merged).toHaveLength(LATENCY_BUCKET_COUNT);
    expect(merged[latencyBucketOf(5)]).toBe(2);
    expect(merged[latencyBucketOf(100)]).toBe(1);
    expect(merged.reduce((a, b) => a + b, 0)).toBe(3);
  });
});
