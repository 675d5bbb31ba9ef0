import { bucketFor, DEFAULT_BUCKETS, isRiskChange, type RiskBucketName, type ScorePoint } from '../../../../subgraphs/risk/domain/bucket';

describe('bucketFor', () => {
  it.each<[number, RiskBucketName]>([
    [0, 'low'],
    [49.999, 'low'],
    [50, 'medium'],
    [74.999, 'medium'],
    [75, 'high'],
    [100, 'high'],
  ])('puts %p in the %s bucket with the default thresholds', (score, bucket) => {
    expect(bucketFor(score)).toBe(bucket);
  });

  it('defaults to Medium from 50 and High from 75', () => {
    expect(DEFAULT_BUCKETS).toEqual({ medium: 50, high: 75 });
  });

  it.each<[number, RiskBucketName]>([
    [29.9, 'low'],
    [30, 'medium'],
    [59.9, 'medium'],
    [60, 'high'],
    [80, 'high'],
  ])('puts %p in the %s bucket with thresholds 30/60', (score, bucket) => {
    expect(bucketFor(score, { medium: 30, high: 60 })).toBe(bucket);
  });

  it.each([[-0.001], [100.001], [-50], [Number.NaN], [Number.POSITIVE_INFINITY], [Number.NEGATIVE_INFINITY]])(
    'throws a RangeError for the out-of-range score %p',
    (score) => {
      expect(() => bucketFor(score)).toThrow(RangeError);
    },
  );

  it.each([
    ['medium equal to high', { medium: 60, high: 60 }],
    ['medium above high', { medium: 80, high: 40 }],
    ['a NaN threshold', { medium: Number.NaN, high: 75 }],
  ])('throws a RangeError for %s', (_name, thresholds) => {
    expect(() => bucketFor(50, thresholds)).toThrow(RangeError);
  });
});

describe('isRiskChange', () => {
  const at = (score: number): ScorePoint => ({ score, bucket: bucketFor(score) });

  it.each<[string, ScorePoint | null, ScorePoint, number, { changed: boolean; crossing: boolean }]>([
    ['reports the first score of a profile as a crossing', null, at(10), 5, { changed: true, crossing: true }],
    ['stays quiet on a small wobble below delta', at(20), at(23), 5, { changed: false, crossing: false }],
    ['stays quiet on a downward wobble below delta', at(23), at(20), 5, { changed: false, crossing: false }],
    ['stays quiet on a move of exactly delta', at(20), at(25), 5, { changed: false, crossing: false }],
    ['reports a move above delta within a bucket', at(20), at(26), 5, { changed: true, crossing: false }],
    ['reports a downward move above delta', at(40), at(30), 5, { changed: true, crossing: false }],
    ['reports a bucket crossing however small the move', at(49.9), at(50.1), 5, { changed: true, crossing: true }],
    ['reports a downward bucket crossing', at(75), at(74.5), 5, { changed: true, crossing: true }],
    ['reports a crossing together with a large move', at(10), at(90), 5, { changed: true, crossing: true }],
  ])('%s', (_name, previous, next, delta, expected) => {
    expect(isRiskChange(previous, next, delta)).toEqual(expected);
  });
});
