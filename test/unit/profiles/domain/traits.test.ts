import { applyTraits, mergeTimedTraits, type TimedTraits } from '../../../../subgraphs/profiles/domain/traits';

const T = (day: number) => Date.UTC(2025, 0, day);

describe('applyTraits', () => {
  it.each<[string, TimedTraits, Record<string, unknown>, number, Record<string, unknown>, string[]]>([
    ['sets traits on an empty profile', { traits: {}, timestamps: {} }, { plan: 'pro' }, T(2), { plan: 'pro' }, ['plan']],
    ['a newer event overwrites', { traits: { plan: 'free' }, timestamps: { plan: T(1) } }, { plan: 'pro' }, T(2), { plan: 'pro' }, ['plan']],
    ['an older event arriving late does not overwrite', { traits: { plan: 'pro' }, timestamps: { plan: T(5) } }, { plan: 'free' }, T(2), { plan: 'pro' }, []],
    [
      'decides per key: the late event still fills keys it set last',
      { traits: { plan: 'pro', seats: 1 }, timestamps: { plan: T(5), seats: T(1) } },
      { plan: 'free', seats: 3 },
      T(2),
      { plan: 'pro', seats: 3 },
      ['seats'],
    ],
    ['replaying the same event changes nothing', { traits: { plan: 'pro' }, timestamps: { plan: T(2) } }, { plan: 'pro' }, T(2), { plan: 'pro' }, []],
    ['a key without a timestamp loses to any event', { traits: { plan: 'legacy' }, timestamps: {} }, { plan: 'pro' }, T(1), { plan: 'pro' }, ['plan']],
    ['stores null as a value', { traits: { plan: 'pro' }, timestamps: { plan: T(1) } }, { plan: null }, T(2), { plan: null }, ['plan']],
    ['ignores __proto__ keys', { traits: {}, timestamps: {} }, JSON.parse('{"__proto__": {"x": 1}, "a": 1}'), T(1), { a: 1 }, ['a']],
    ['treats keys named like Object methods as plain keys', { traits: {}, timestamps: {} }, { constructor: 'c', toString: 's' }, T(1), { constructor: 'c', toString: 's' }, ['constructor', 'toString']],
  ])('%s', (_name, current, incoming, at, traits, changed) => {
    const next = applyTraits(current, incoming, at);
    expect(next.traits).toEqual(traits);
    expect(next.changed).toEqual(changed);
    expect(Object.getPrototypeOf(next.traits)).toBe(Object.prototype);
  });

  it('does not mutate its input', () => {
    const current = { traits: { plan: 'free' }, timestamps: { plan: T(1) } };
    applyTraits(current, { plan: 'pro' }, T(2));
    expect(current).toEqual({ traits: { plan: 'free' }, timestamps: { plan: T(1) } });
  });

  it('rejects a non-finite time', () => {
    expect(() => applyTraits({ traits: {}, timestamps: {} }, { a: 1 }, Number.NaN)).toThrow(/applyTraits: at must be a finite/);
  });
});

describe('mergeTimedTraits', () => {
  it.each<[string, TimedTraits, TimedTraits, TimedTraits]>([
    [
      'keeps the later value of each key',
      { traits: { plan: 'pro', city: 'Paris' }, timestamps: { plan: T(5), city: T(1) } },
      { traits: { plan: 'free', city: 'Oslo', age: 40 }, timestamps: { plan: T(2), city: T(3), age: T(2) } },
      { traits: { plan: 'pro', city: 'Oslo', age: 40 }, timestamps: { plan: T(5), city: T(3), age: T(2) } },
    ],
    [
      'keeps the survivor’s value on a tie',
      { traits: { plan: 'pro' }, timestamps: { plan: T(2) } },
      { traits: { plan: 'free' }, timestamps: { plan: T(2) } },
      { traits: { plan: 'pro' }, timestamps: { plan: T(2) } },
    ],
    [
      'an untimed merged value fills only a missing key',
      { traits: { plan: 'pro' }, timestamps: {} },
      { traits: { plan: 'free', seats: 2 }, timestamps: {} },
      { traits: { plan: 'pro', seats: 2 }, timestamps: {} },
    ],
    [
      'a timed merged value beats an untimed survivor value',
      { traits: { plan: 'legacy' }, timestamps: {} },
      { traits: { plan: 'pro' }, timestamps: { plan: T(1) } },
      { traits: { plan: 'pro' }, timestamps: { plan: T(1) } },
    ],
  ])('%s', (_name, survivor, merged, expected) => {
    expect(mergeTimedTraits(survivor, merged)).toEqual(expected);
  });
});
