import fc from 'fast-check';

import { FRICTION_DEFAULTS, resolveFrictionConfig } from '../../../../../subgraphs/signals/domain/friction/settings';
import { MAX_PATTERN_LENGTH, unsafePatternReason } from '../../../../../subgraphs/signals/domain/friction/safe-pattern';

describe('unsafePatternReason (the restricted syntax of tenant-set patterns)', () => {
  it.each([
    FRICTION_DEFAULTS.retryLoop.failurePattern,
    '(^|\\s)(failed|failure)$',
    'Payment (Failed|Declined)$',
    '^checkout [a-z]+ failed$',
    'x{2,5}y?',
    'a+?b',
    '[(+*)]+ failed',
    '\\(a+\\)+',
  ])('accepts %s', (pattern) => {
    expect(unsafePatternReason(pattern)).toBeNull();
  });

  it.each([
    ['(a+)+$', /repeated group/],
    ['(a|aa)*b', /repeated group/],
    ['(\\w+\\s?)*$', /repeated group/],
    ['((a)+)+', /repeated group/],
    ['(x+){2,}', /repeated group/],
    ['(a)\\1', /backreferences/],
    ['(?<n>a)\\k<n>', /backreferences/],
    ['foo(?=bar)', /lookahead/],
    ['(?<!x)failed', /lookahead/],
    ['(', /not a valid/],
    ['a'.repeat(MAX_PATTERN_LENGTH + 1), /longer than/],
  ])('refuses %s', (pattern, reason) => {
    expect(unsafePatternReason(pattern)).toMatch(reason);
  });

  it('every accepted pattern of a generated family runs in linear-ish time on an adversarial input', () => {
    // patterns built from the risky pieces: whatever the checker lets through must match a
    // 255-character adversarial name in bounded time. A catastrophic one takes seconds at 30
    // characters and would not finish at 255, so a bound of seconds separates the two cleanly
    // while leaving room for a loaded CI runner (a 200 ms bound failed there at 299 ms)
    const atom = fc.constantFrom('a', 'a+', 'a*', '(a|aa)', '(a+)', '\\w', '\\s?', '[ab]+', '(a|b)');
    const quant = fc.constantFrom('', '+', '*', '?', '{1,3}');
    const pattern = fc.array(fc.tuple(atom, quant), { minLength: 1, maxLength: 4 }).map((parts) => `^${parts.map(([a, q]) => a + q).join('')}$`);
    let accepted = 0;
    fc.assert(
      fc.property(pattern, (p) => {
        if (unsafePatternReason(p) !== null) return;
        accepted++;
        const started = process.hrtime.bigint();
        new RegExp(p, 'i').test(`${'a'.repeat(254)}!`);
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        expect(ms).toBeLessThan(5_000);
      }),
      { seed: 1202, numRuns: 300 },
    );
    expect(accepted).toBeGreaterThan(20);
  });
});

describe('resolveFrictionConfig against hostile overrides', () => {
  it('refuses a catastrophic failurePattern with the path and the reason', () => {
    expect(resolveFrictionConfig({ retryLoop: { failurePattern: '(a+)+$' } }).problems).toEqual([
      'retryLoop.failurePattern: a repeated group may not contain a repetition or an alternation (e.g. (a+)+): it can take exponential time',
    ]);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])('refuses the key %s as an unknown setting, at any depth, and leaves Object.prototype alone', (key) => {
    const top = JSON.parse(`{"${key}": {"polluted": 1}}`) as unknown;
    const nested = JSON.parse(`{"retryLoop": {"${key}": {"polluted": 1}}}`) as unknown;
    expect(resolveFrictionConfig(top).problems).toEqual([`${key}: unknown setting`]);
    expect(resolveFrictionConfig(nested).problems).toEqual([`retryLoop.${key}: unknown setting`]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never throws, whatever JSON it is given', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (overrides) => {
        const result = resolveFrictionConfig(overrides);
        expect(result.config === null ? result.problems.length > 0 : result.problems.length === 0).toBe(true);
      }),
      { seed: 1202, numRuns: 500 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
