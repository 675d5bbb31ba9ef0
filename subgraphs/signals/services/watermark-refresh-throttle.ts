/** A timer as `setTimeout` makes one: injected so tests can run the trailing refresh by hand. */
export interface RefreshTimer {
  cancel(): void;
}

export interface WatermarkRefreshThrottleOptions {
  /** Least time between two refreshes of one tenant, ms. */
  minIntervalMs: number;
  now?: () => number;
  /** Runs `fn` after `ms`; the default is an unref'd `setTimeout`, so it never holds a process open. */
  schedule?: (fn: () => void, ms: number) => RefreshTimer;
}

/**
 * At most one handed-on watermark refresh per tenant per `minIntervalMs`, with a trailing one.
 *
 * Each refresh reads every event of the tenant not yet handed on (two grouped queries). Run after
 * every `activity-recorded` pass while a tenant drains a backlog, that read walked the whole
 * backlog again and again: about a hundred index rows fetched per event on PostgreSQL. Only the
 * latest reading matters (the watermark only ever rises), so a request inside the interval is
 * folded into one refresh at the interval's end, which reads SQL as it is by then. A trailing
 * refresh lost with its process only delays a waiting training until the sweeper's next tick.
 */
export class WatermarkRefreshThrottle {
  private readonly lastRunAt = new Map<string, number>();
  private readonly trailing = new Map<string, RefreshTimer>();
  private readonly now: () => number;
  private readonly schedule: (fn: () => void, ms: number) => RefreshTimer;
  private closed = false;

  constructor(
    private readonly refresh: (tenantId: string) => Promise<void>,
    private readonly options: WatermarkRefreshThrottleOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.schedule = options.schedule ?? unrefTimeout;
  }

  /** Refreshes now when the tenant's interval has passed, else once at its end. */
  async request(tenantId: string): Promise<void> {
    if (this.closed || this.trailing.has(tenantId)) return;
    const sinceLast = this.now() - (this.lastRunAt.get(tenantId) ?? Number.NEGATIVE_INFINITY);
    if (sinceLast >= this.options.minIntervalMs) return this.run(tenantId);
    const timer = this.schedule(() => {
      this.trailing.delete(tenantId);
      if (!this.closed) void this.run(tenantId);
    }, this.options.minIntervalMs - sinceLast);
    this.trailing.set(tenantId, timer);
  }

  /** Drops the trailing refreshes (the sweeper's next tick publishes what they would have). */
  close(): void {
    this.closed = true;
    for (const timer of this.trailing.values()) timer.cancel();
    this.trailing.clear();
  }

  private run(tenantId: string): Promise<void> {
    this.lastRunAt.set(tenantId, this.now());
    return this.refresh(tenantId);
  }
}

function unrefTimeout(fn: () => void, ms: number): RefreshTimer {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return { cancel: () => clearTimeout(timer) };
}
