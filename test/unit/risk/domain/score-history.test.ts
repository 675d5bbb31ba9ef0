import { firstRowKey, headsBySubject, isSameAssessment, planHistory, type StoredAssessment } from '../../../../subgraphs/risk/domain/score-history';

const t = (ms: number) => new Date(Date.UTC(2026, 10, 1) + ms);
const stored = (id: string, probability: number, scoredAt = t(0), extra: Partial<StoredAssessment> = {}): StoredAssessment & { subject: string } => ({
  id,
  probability,
  modelId: null,
  modelVersion: null,
  clv: null,
  pAlive: null,
  scoredAt,
  subject: id.split('-')[0],
  ...extra,
});
const input = (subject: string, probability: number, scoredAt = t(1000), extra: { clv?: number | null } = {}) => ({ subject, probability, model: { id: null, version: null }, scoredAt, ...extra });

describe('isSameAssessment', () => {
  it.each([
    ['same probability and model', stored('a-1', 0.3), input('a', 0.3), true],
    ['probability moved', stored('a-1', 0.3), input('a', 0.31), false],
    ['another model version', stored('a-1', 0.3, t(0), { modelId: 'm', modelVersion: 1 }), input('a', 0.3), false],
    ['CLV now known', stored('a-1', 0.3), input('a', 0.3, t(1000), { clv: 10 }), false],
  ])('%s', (_name, previous, next, same) => expect(isSameAssessment(previous, next)).toBe(same));
});

describe('planHistory', () => {
  it('re-dates unchanged heads, appends changes after their head, and starts new histories', () => {
    const heads = new Map([
      ['a', stored('a-1', 0.3)],
      ['b', stored('b-1', 0.3)],
      ['c', stored('c-1', 0.3, t(5000))],
    ]);
    const plan = planHistory([input('a', 0.3), input('b', 0.6), input('c', 0.3), input('d', 0.2)], (i) => heads.get(i.subject) ?? null);
    expect([...plan.redate]).toEqual([[t(1000).getTime(), ['a-1']]]); // c's head is newer than the input: kept as is
    expect(plan.unchanged.map((u) => u.previous.id)).toEqual(['a-1', 'c-1']);
    expect(plan.append.map((a) => [a.input.subject, a.previous?.id ?? null])).toEqual([
      ['b', 'b-1'],
      ['d', null],
    ]);
  });
});

describe('headsBySubject', () => {
  it('keeps the latest row of each subject, the larger id on a tie', () => {
    const heads = headsBySubject([stored('a-1', 0.1, t(0)), stored('a-2', 0.2, t(10)), stored('b-1', 0.3, t(5)), stored('b-2', 0.4, t(5))], (r) => r.subject);
    expect([...heads.values()].map((r) => r.id)).toEqual(['a-2', 'b-2']);
  });
});

it('names the first row of a history by kind and subject', () => {
  expect(firstRowKey('churn', 'p1')).toBe('first-churn-p1');
});
