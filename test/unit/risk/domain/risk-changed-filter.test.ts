import { matchesRiskChange, type RiskChangeCriteria, type RiskChangeFacts } from '../../../../subgraphs/risk/domain/risk-changed-filter';

const change: RiskChangeFacts = { profileId: 'p1', score: 80, bucket: 'high', crossing: true, kind: 'scored' };
const quiet: RiskChangeFacts = { profileId: 'p2', score: 40, bucket: 'low', crossing: false, kind: 'rescored' };

describe('matchesRiskChange', () => {
  it.each<[string, RiskChangeCriteria | null | undefined]>([
    ['a null filter', null],
    ['an undefined filter', undefined],
    ['an empty filter', {}],
    ['a filter of nulls', { profileIds: null, minScore: null, buckets: null, crossingOnly: null, kinds: null }],
    ['empty arrays', { profileIds: [], buckets: [], kinds: [] }],
    ['crossingOnly false', { crossingOnly: false }],
  ])('passes every change through %s', (_name, criteria) => {
    expect(matchesRiskChange(change, criteria)).toBe(true);
    expect(matchesRiskChange(quiet, criteria)).toBe(true);
  });

  it.each<[string, RiskChangeCriteria, RiskChangeFacts, boolean]>([
    ['passes a listed profile', { profileIds: ['p0', 'p1'] }, change, true],
    ['drops an unlisted profile', { profileIds: ['p0', 'p1'] }, quiet, false],
    ['passes a score above minScore', { minScore: 79 }, change, true],
    ['passes a score equal to minScore', { minScore: 80 }, change, true],
    ['drops a score below minScore', { minScore: 80.5 }, change, false],
    ['treats minScore 0 as a real bound', { minScore: 0 }, { ...quiet, score: 0 }, true],
    ['passes a listed bucket', { buckets: ['medium', 'high'] }, change, true],
    ['drops an unlisted bucket', { buckets: ['medium', 'high'] }, quiet, false],
    ['passes a crossing when crossingOnly', { crossingOnly: true }, change, true],
    ['drops a non-crossing when crossingOnly', { crossingOnly: true }, quiet, false],
    ['passes a listed kind', { kinds: ['scored'] }, change, true],
    ['drops an unlisted kind', { kinds: ['scored'] }, quiet, false],
    ['passes a profile in one of the listed segments', { segmentIds: ['s2', 's3'] }, { ...change, segmentIds: ['s1', 's3'] }, true],
    ['drops a profile in none of the listed segments', { segmentIds: ['s2'] }, { ...change, segmentIds: ['s1'] }, false],
    ['drops a profile in no segment when segments are listed', { segmentIds: ['s2'] }, change, false],
  ])('%s', (_name, criteria, facts, expected) => {
    expect(matchesRiskChange(facts, criteria)).toBe(expected);
  });

  const all: RiskChangeCriteria = { profileIds: ['p1'], minScore: 75, buckets: ['high'], crossingOnly: true, kinds: ['scored'] };

  it('passes a change that meets every criterion', () => {
    expect(matchesRiskChange(change, all)).toBe(true);
  });

  it.each<[string, Partial<RiskChangeFacts>]>([
    ['profile', { profileId: 'p9' }],
    ['score', { score: 74 }],
    ['bucket', { bucket: 'medium' }],
    ['crossing', { crossing: false }],
    ['kind', { kind: 'rescored' }],
  ])('drops a change that fails only the %s criterion', (_name, override) => {
    expect(matchesRiskChange({ ...change, ...override }, all)).toBe(false);
  });

  it('ignores an empty array while still applying the other criteria', () => {
    const criteria: RiskChangeCriteria = { profileIds: [], buckets: ['high'], kinds: [] };
    expect(matchesRiskChange(change, criteria)).toBe(true);
    expect(matchesRiskChange({ ...change, bucket: 'low' }, criteria)).toBe(false);
  });
});
