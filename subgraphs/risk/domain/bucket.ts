/** Risk buckets on the 0–100 scale. */
export type RiskBucketName = 'low' | 'medium' | 'high';

/** Lower bounds of the buckets, on 0–100. Default: Medium from 50, High from 75. */
export interface BucketThresholds {
  medium: number;
  high: number;
}
export const DEFAULT_BUCKETS: BucketThresholds = { medium: 50, high: 75 };

/** The bucket a 0–100 score falls in. */
export function bucketFor(score: number, thresholds: BucketThresholds = DEFAULT_BUCKETS): RiskBucketName {
  if (!(score >= 0 && score <= 100)) throw new RangeError(`bucketFor: score must be within [0, 100] (score=${score})`);
  if (!(thresholds.medium < thresholds.high)) {
    throw new RangeError(`bucketFor: medium must be < high (medium=${thresholds.medium}, high=${thresholds.high})`);
  }
  if (score >= thresholds.high) return 'high';
  if (score >= thresholds.medium) return 'medium';
  return 'low';
}

export interface ScorePoint {
  score: number;
  bucket: RiskBucketName;
}

/**
 * Whether a new score is news for subscribers: the first score of a profile, a move of more than
 * `delta` points, or a bucket crossing. Small wobbles stay quiet.
 */
export function isRiskChange(previous: ScorePoint | null, next: ScorePoint, delta: number): { changed: boolean; crossing: boolean } {
  if (!previous) return { changed: true, crossing: true };
  const crossing = previous.bucket !== next.bucket;
  return { changed: crossing || Math.abs(next.score - previous.score) > delta, crossing };
}
