import {
  admitByLag,
  MAX_RETRY_AFTER_SECONDS,
  retryAfterFromDrain,
  UNKNOWN_DRAIN_RETRY_AFTER_SECONDS,
} from '../../../../../subgraphs/signals/domain/pipeline/lag-admission';

describe('admitByLag', () => {
  it.each([
    ['admits a tenant under its share', 10, 100, null],
    ['admits a tenant exactly at its share', 100, 100, null],
    ['refuses a tenant over its share, waiting for the excess to drain', 150, 100, { excess: 50, retryAfterSeconds: 5 }],
  ])('%s', (_name, inFlight, maxInFlight, expected) => {
    expect(admitByLag({ inFlight, maxInFlight }, 10)).toEqual(expected);
  });

  it('refuses a non-positive share', () => {
    expect(() => admitByLag({ inFlight: 1, maxInFlight: 0 }, 1)).toThrow(RangeError);
  });
});

describe('retryAfterFromDrain', () => {
  it.each([
    ['rounds up to whole seconds', 101, 50, 3],
    ['waits at least a second', 1, 1_000, 1],
    ['waits at most a minute', 1_000_000, 1, MAX_RETRY_AFTER_SECONDS],
    ['falls back when nothing drained in the last minute', 500, 0, UNKNOWN_DRAIN_RETRY_AFTER_SECONDS],
    ['falls back on a rate that is not a number', 500, Number.NaN, UNKNOWN_DRAIN_RETRY_AFTER_SECONDS],
  ])('%s', (_name, excess, rate, seconds) => {
    expect(retryAfterFromDrain(excess, rate)).toBe(seconds);
  });
});
