import { npsAnswerOf, npsKpi } from '../../../../subgraphs/signals/domain/nps';

const FROM = new Date('2026-06-01T00:00:00Z');

describe('npsAnswerOf', () => {
  it.each([
    [0, 0],
    [10, 10],
    ['7', 7],
    [' 9 ', 9],
    [11, null],
    [-1, null],
    [7.5, null],
    ['', null],
    ['great', null],
    [null, null],
    [true, null],
  ])('reads %p as %p', (value, answer) => {
    expect(npsAnswerOf(value)).toBe(answer);
  });
});

describe('npsKpi', () => {
  it('scores promoters minus detractors over responses, per week and overall', () => {
    const k = npsKpi(
      [
        { week: 1, answer: 0, count: 15 },
        { week: 0, answer: 10, count: 20 },
        { week: 0, answer: '9', count: 10 },
        { week: 1, answer: 8, count: 15 },
        { week: 0, answer: 'n/a', count: 99 },
      ],
      FROM,
      30,
    );
    // week 0: 30 promoters → 100; week 1: 15 passives, 15 detractors → −50; overall (30 − 15) / 60 → 25
    expect(k).toEqual({
      responses: 60,
      promoters: 30,
      passives: 15,
      detractors: 15,
      score: 25,
      byWeek: [
        { weekStart: FROM, responses: 30, score: 100 },
        { weekStart: new Date('2026-06-08T00:00:00Z'), responses: 30, score: -50 },
      ],
      sampleNote: null,
    });
  });

  it('shows counts but no score below the minimum', () => {
    expect(npsKpi([{ week: 0, answer: 10, count: 29 }], FROM, 30)).toMatchObject({ responses: 29, score: null, sampleNote: '29 survey responses; at least 30 are needed' });
  });
});
