/**
 * At most `limit` pieces of work per key at once in this process; the others wait their turn in
 * order (first come, first served within a key). Used to bound how many of one tenant's ingest
 * requests share the event loop at once: each request's chain of awaits waits for a turn of the
 * loop, and eight requests of a flooding tenant in flight would put every other tenant's request
 * behind eight chains. Keys do not wait for each other.
 */
export class KeyedConcurrencyGate {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  private readonly limitOf: (key: string) => number;

  /**
   * @param limit work items of one key run at once, or a function giving it per key when an item
   *   arrives or leaves (a limit may change while items run: a slot above it closes when its item
   *   leaves); 0 or less lets every one run.
   * @param maxWaiting items of one key that may wait; over it `run` refuses at once (`GateFullError`).
   */
  constructor(
    limit: number | ((key: string) => number),
    private readonly maxWaiting: number = Number.POSITIVE_INFINITY,
  ) {
    this.limitOf = typeof limit === 'number' ? () => limit : limit;
  }

  /** Runs `work` once the key has a free slot; a refused item throws `GateFullError` and never runs. */
  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (this.limitOf(key) <= 0) return work();
    await this.enter(key);
    try {
      return await work();
    } finally {
      this.leave(key);
    }
  }

  /** Items of `key` running and waiting now. */
  load(key: string): { active: number; waiting: number } {
    return { active: this.active.get(key) ?? 0, waiting: this.waiting.get(key)?.length ?? 0 };
  }

  private enter(key: string): Promise<void> {
    const active = this.active.get(key) ?? 0;
    if (active < this.limitOf(key)) {
      this.active.set(key, active + 1);
      return Promise.resolve();
    }
    const queue = this.waiting.get(key) ?? [];
    if (queue.length >= this.maxWaiting) return Promise.reject(new GateFullError(key, queue.length));
    this.waiting.set(key, queue);
    // the slot passes straight to the next waiter (`leave` does not decrement then)
    return new Promise<void>((resolve) => queue.push(resolve));
  }

  private leave(key: string): void {
    const running = this.active.get(key) ?? 1;
    const queue = this.waiting.get(key);
    // within the limit, the slot passes straight to the next waiter; above a limit that fell
    // meanwhile, the slot closes instead
    if (queue?.length && running <= this.limitOf(key)) {
      const next = queue.shift()!;
      if (queue.length === 0) this.waiting.delete(key);
      next();
      return;
    }
    const active = running - 1;
    if (active <= 0) this.active.delete(key);
    else this.active.set(key, active);
  }
}

/** A key already has as many items waiting as the gate allows. */
export class GateFullError extends Error {
  constructor(
    readonly key: string,
    readonly waiting: number,
  ) {
    super(`${waiting} requests already waiting for ${key}`);
    this.name = 'GateFullError';
  }
}
