import { nextDeliveryStep, outcomeOfStatus } from '../../../../subgraphs/actions/domain/delivery-outcome';

const SCHEDULE = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

describe('outcomeOfStatus', () => {
  it.each([
    [200, { ok: true }],
    [204, { ok: true }],
    [410, { ok: false, retryable: false, disable: true }],
    [408, { ok: false, retryable: true }],
    [429, { ok: false, retryable: true }],
    [500, { ok: false, retryable: true }],
    [599, { ok: false, retryable: true }],
    [400, { ok: false, retryable: false }],
    [401, { ok: false, retryable: false }],
    [302, { ok: false, retryable: false }],
  ])('reads %i', (status, expected) => {
    expect(outcomeOfStatus(status)).toMatchObject({ ...expected, status });
  });
});

describe('nextDeliveryStep', () => {
  const fail = { ok: false as const, retryable: true, error: 'HTTP 500' };
  it('follows the Standard Webhooks schedule and dead-letters after the last try', () => {
    const delays = SCHEDULE.map((_, i) => nextDeliveryStep(fail, i + 1, SCHEDULE));
    expect(delays).toEqual(SCHEDULE.map((delayMs) => ({ status: 'retry', delayMs })));
    expect(nextDeliveryStep(fail, SCHEDULE.length + 1, SCHEDULE)).toEqual({ status: 'dead' });
  });
  it('is delivered on success and dead at once on a final refusal', () => {
    expect(nextDeliveryStep({ ok: true, providerId: null }, 3, SCHEDULE)).toEqual({ status: 'delivered' });
    expect(nextDeliveryStep({ ok: false, retryable: false, error: 'HTTP 400' }, 1, SCHEDULE)).toEqual({ status: 'dead' });
  });
  it('rejects a try number below 1', () => {
    expect(() => nextDeliveryStep(fail, 0, SCHEDULE)).toThrow(RangeError);
  });
});
