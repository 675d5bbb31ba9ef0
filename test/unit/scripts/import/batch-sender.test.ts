import { backoffMs, baseUrl, retryAfterMs } from '../../../../scripts/import/batch-sender';

describe('retryAfterMs', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['delay-seconds', '3', 3000],
    ['an HTTP date', 'Thu, 01 Jan 2026 00:00:05 GMT', 5000],
    ['a date in the past', 'Wed, 31 Dec 2025 23:59:00 GMT', 0],
    ['nothing', null, null],
    ['garbage', 'soon', null],
  ])('reads %s', (_name, header, ms) => {
    expect(retryAfterMs(header, now)).toBe(ms);
  });
});

describe('backoffMs', () => {
  it('doubles from about half a second and stops at 30 s', () => {
    expect(backoffMs(1, () => 0.5)).toBe(500);
    expect(backoffMs(3, () => 0.5)).toBe(2000);
    expect(backoffMs(20, () => 0.5)).toBe(30_000);
  });
});

describe('baseUrl', () => {
  it.each(['http://h:4000', 'http://h:4000/', 'http://h:4000/graphql', 'http://h:4000/v1/batch'])('reads %s', (url) => {
    expect(baseUrl(url)).toBe('http://h:4000');
  });
});
