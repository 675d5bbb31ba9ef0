import { WatermarkRefreshThrottle, type RefreshTimer } from '../../../../subgraphs/signals/services/watermark-refresh-throttle';

/** A hand-driven clock and timer queue: `advance` runs the timers that fall due. */
function manualTime() {
  let now = 0;
  const timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  return {
    now: () => now,
    schedule(fn: () => void, ms: number): RefreshTimer {
      const timer = { at: now + ms, fn, cancelled: false };
      timers.push(timer);
      return { cancel: () => void (timer.cancelled = true) };
    },
    advance(ms: number) {
      now += ms;
      for (const timer of timers.filter((t) => !t.cancelled && t.at <= now)) {
        timer.cancelled = true;
        timer.fn();
      }
    },
    pending: () => timers.filter((t) => !t.cancelled).length,
  };
}

describe('WatermarkRefreshThrottle', () => {
  function throttle() {
    const time = manualTime();
    const refreshed: string[] = [];
    const t = new WatermarkRefreshThrottle(async (tenantId) => void refreshed.push(tenantId), { minIntervalMs: 500, now: time.now, schedule: time.schedule });
    return { time, refreshed, t };
  }

  it('refreshes a tenant at once the first time', async () => {
    const { refreshed, t } = throttle();
    await t.request('a');
    expect(refreshed).toEqual(['a']);
  });

  it('folds requests inside the interval into one trailing refresh at its end', async () => {
    const { time, refreshed, t } = throttle();
    await t.request('a');
    time.advance(100);
    await t.request('a');
    await t.request('a');
    time.advance(300);
    await t.request('a');
    expect(refreshed).toEqual(['a']);
    expect(time.pending()).toBe(1);
    time.advance(100);
    expect(refreshed).toEqual(['a', 'a']);
    expect(time.pending()).toBe(0);
  });

  it('keeps tenants apart: one tenant’s refresh does not hold back another’s', async () => {
    const { time, refreshed, t } = throttle();
    await t.request('a');
    time.advance(10);
    await t.request('b');
    expect(refreshed).toEqual(['a', 'b']);
  });

  it('refreshes at once again once the interval has passed since the last refresh, trailing ones included', async () => {
    const { time, refreshed, t } = throttle();
    await t.request('a');
    time.advance(200);
    await t.request('a');
    time.advance(300); // the trailing refresh runs at 500
    time.advance(500);
    await t.request('a');
    expect(refreshed).toEqual(['a', 'a', 'a']);
    expect(time.pending()).toBe(0);
  });

  it('drops its trailing refreshes when closed', async () => {
    const { time, refreshed, t } = throttle();
    await t.request('a');
    await t.request('a');
    t.close();
    time.advance(1_000);
    await t.request('a');
    expect(refreshed).toEqual(['a']);
  });
});
