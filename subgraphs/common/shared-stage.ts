/**
 * Whether a stage is shared right now: more than one tenant (or one tenant's two lanes) gave it
 * work within the last `windowMs`. A coalescing stage takes smaller passes while it is, because a
 * pass cannot be interrupted: a tenant whose job arrives while another tenant's pass runs waits for
 * that whole pass, so the pass length is the longest another tenant waits per stage. A stage that
 * only one tenant uses keeps its large passes (the cheapest per event in a drain).
 *
 * In memory, per worker: a worker learns of the tenants whose jobs it is given or takes. The
 * window is a few seconds, longer than the gaps of a trickling tenant's jobs.
 */
export class SharedStageTracker {
  private readonly lastSeen = new Map<string, number>();

  constructor(private readonly windowMs: number = SHARED_STAGE_WINDOW_MS) {}

  /** Notes that work of `key` (tenant and lane) came to the stage at `nowMs`. */
  saw(key: string, nowMs: number): void {
    this.lastSeen.set(key, nowMs);
  }

  /** True when more than one key gave work within the window; forgets keys that left it. */
  isShared(nowMs: number): boolean {
    let active = 0;
    for (const [key, at] of this.lastSeen) {
      if (nowMs - at > this.windowMs) this.lastSeen.delete(key);
      else active += 1;
    }
    return active > 1;
  }
}

/** How long a tenant counts as having work in a stage after its last job there, in ms. */
export const SHARED_STAGE_WINDOW_MS = 5_000;
