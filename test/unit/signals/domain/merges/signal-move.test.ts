import { planSignalMove, rekeyForSurvivor } from '../../../../../subgraphs/signals/domain/merges/signal-move';

const A = '01a00000-0000-7000-8000-00000000000a';
const B = '01a00000-0000-7000-8000-00000000000b';

describe('rekeyForSurvivor', () => {
  it.each([
    [`retry_loop-${A}-upload_failed-1700`, `retry_loop-${B}-upload_failed-1700`],
    [`stall-${A}-inst.step-1700`, `stall-${B}-inst.step-1700`],
    ['abandonment-scope-1700', 'abandonment-scope-1700'],
    [`x-${A}-${A}`, `x-${B}-${B}`],
  ])('%s → %s', (key, expected) => {
    expect(rekeyForSurvivor(key, A, B)).toBe(expected);
  });
});

describe('planSignalMove', () => {
  const signals = [
    { id: 's1', dedupeKey: `retry_loop-${A}-upload-1` },
    { id: 's2', dedupeKey: `negative_feedback-${A}-nps-2` },
    { id: 's3', dedupeKey: 'abandonment-inst-3' },
  ];

  it.each([
    ['nothing taken: everything moves, re-keyed', new Set<string>(), ['s1', 's2', 's3'], []],
    ['the survivor has the same retry loop: its row is kept, ours dropped', new Set([`retry_loop-${B}-upload-1`]), ['s2', 's3'], ['s1']],
    ['a key without the profile id is its own row (a replay): it moves', new Set(['abandonment-inst-3']), ['s1', 's2', 's3'], []],
  ])('%s', (_name, taken, moved, dropped) => {
    const plan = planSignalMove(signals, A, B, taken);
    expect(plan.moved.map((m) => m.id)).toEqual(moved);
    expect(plan.dropped).toEqual(dropped);
  });

  it('gives moved signals the survivor’s keys', () => {
    expect(planSignalMove(signals, A, B, new Set()).moved.map((m) => m.dedupeKey)).toEqual([
      `retry_loop-${B}-upload-1`,
      `negative_feedback-${B}-nps-2`,
      'abandonment-inst-3',
    ]);
  });
});
