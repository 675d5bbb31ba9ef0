import { describeCrossing, shouldAlertOnCrossing, type RiskCrossing } from '../../../../subgraphs/actions/domain/alert-rule';

describe('shouldAlertOnCrossing', () => {
  it.each<[string | null, string]>([
    ['low', 'high'],
    ['medium', 'high'],
    [null, 'high'],
  ])('alerts on entering High from %p', (previousBucket, bucket) => {
    expect(shouldAlertOnCrossing({ score: 80, bucket, previousBucket })).toBe(true);
  });

  it.each<[string | null, string]>([
    ['high', 'high'],
    ['high', 'medium'],
    ['high', 'low'],
    ['low', 'medium'],
    ['medium', 'low'],
    [null, 'medium'],
    [null, 'low'],
  ])('stays quiet moving from %p to %p', (previousBucket, bucket) => {
    expect(shouldAlertOnCrossing({ score: 80, bucket, previousBucket })).toBe(false);
  });
});

describe('describeCrossing', () => {
  it.each<[string, RiskCrossing, string]>([
    ['names both buckets', { score: 82, bucket: 'high', previousBucket: 'medium' }, 'Churn risk rose to 82/100 (medium → high).'],
    ['calls a missing previous bucket unscored', { score: 90, bucket: 'high', previousBucket: null }, 'Churn risk rose to 90/100 (unscored → high).'],
    ['rounds the score down below .5', { score: 75.4, bucket: 'high', previousBucket: 'low' }, 'Churn risk rose to 75/100 (low → high).'],
    ['rounds the score up from .5', { score: 76.5, bucket: 'high', previousBucket: 'low' }, 'Churn risk rose to 77/100 (low → high).'],
  ])('%s', (_name, crossing, text) => {
    expect(describeCrossing(crossing)).toBe(text);
  });
});
