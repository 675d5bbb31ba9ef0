import { JOB_ATTEMPTS, MAX_RETRY_DELAY_MS, retryDelayMs } from '../../../subgraphs/common/queues';

describe('retryDelayMs', () => {
  it.each([
    [1, 500],
    [2, 1000],
    [5, 8000],
    [7, 32_000],
    [8, MAX_RETRY_DELAY_MS],
    [500, MAX_RETRY_DELAY_MS],
  ])('waits %i → %i ms', (attemptsMade, delay) => {
    expect(retryDelayMs(attemptsMade)).toBe(delay);
  });

  it('keeps a job trying for days, not a minute', () => {
    const totalMs = Array.from({ length: JOB_ATTEMPTS - 1 }, (_, i) => retryDelayMs(i + 1)).reduce((a, b) => a + b, 0);
    expect(totalMs).toBeGreaterThan(6 * 86_400_000);
  });
});
