import { TRAITS_LIMITS, traitsSizeProblem } from '../../../../subgraphs/profiles/domain/traits-size';

const deep = (levels: number): unknown => {
  let value: unknown = 'leaf';
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};

describe('traitsSizeProblem', () => {
  it.each([
    ['accepts ordinary traits', { plan: 'pro', seats: 12, tags: ['a', 'b'], address: { city: 'Lyon' } }, null],
    ['accepts traits just under the byte cap', { blob: 'x'.repeat(TRAITS_LIMITS.maxStringLength - 10) }, null],
    ['refuses a string over the length cap, naming it', { bio: 'x'.repeat(TRAITS_LIMITS.maxStringLength + 1) }, /traits\.bio is longer than 8192/],
    ['refuses many strings over the byte cap', Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, 'x'.repeat(4000)])), /traits is larger than 32768 bytes/],
    ['counts multi-byte characters as their UTF-8 bytes', Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, '€'.repeat(2500)])), /larger than 32768 bytes/],
    ['refuses nesting past the depth cap', deep(TRAITS_LIMITS.maxDepth + 1), /nests deeper than 16 levels/],
    ['refuses a huge array of small values', { list: Array.from({ length: 20_000 }, () => 1) }, /larger than/],
  ])('%s', (_name, traits, expected) => {
    const problem = traitsSizeProblem(traits);
    if (expected === null) expect(problem).toBeNull();
    else expect(problem).toMatch(expected);
  });

  it('does not overflow the stack on a hostile depth', () => {
    expect(traitsSizeProblem(deep(100_000))).toMatch(/deeper/);
  });
});
