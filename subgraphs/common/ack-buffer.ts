/** How one kind of acknowledgement is gathered: one pending ack per key, merged as more arrive. */
export interface AckKind<T> {
  /** Acks with the same key travel in one job (e.g. tenant + lane). */
  keyOf(ack: T): string;
  /** `held` with `more` added (ids unioned); the result replaces `held`. */
  merge(held: T, more: T): T;
  /** Ids an ack carries: a merged ack that reaches `maxIds` is sent at once instead of waiting. */
  size(ack: T): number;
  /** The cap `size` is held to (default `ACK_MAX_IDS`). */
  maxIds?: number;
}

/** Most ids one merged acknowledgement job carries before it is sent without waiting for the window. */
export const ACK_MAX_IDS = 2000;

/**
 * Acknowledgements gathered over a short window and sent as one job per key.
 *
 * An acknowledgement (`activity-recorded`, `score-follow-ups-done`) only clears a marker the
 * sending stage keeps in SQL, and clearing is idempotent. Sent one job per upstream job, as it
 * was, a trickle of small requests paid a whole job (an add, a worker's take and finish, a meter
 * write, a transaction) per request for each of them. Gathered for `windowMs`, they cost one job
 * per key per window however many jobs finished meanwhile. Nothing is lost by holding them: an
 * ack the process dies with leaves its marker set, and the stage's sweeper sends the work again
 * after the grace period (a harmless replay, as after a Redis flush). A failed send puts its acks
 * back for the next window. `flush` (and `close`, on shutdown) sends what is held at once.
 */
export class AckBuffer<T> {
  private readonly pending = new Map<string, T>();
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly kind: AckKind<T>,
    private readonly windowMs: number,
    /** Sends the acks of one flush (one job each). */
    private readonly send: (acks: T[]) => Promise<void>,
    private readonly onError: (err: unknown, acks: number) => void,
  ) {}

  /** Holds `ack` until the window ends (or its merged ack is full); a window of 0 sends it at once. */
  add(ack: T): Promise<void> {
    const { key, merged } = this.hold(ack);
    if (this.windowMs <= 0 || this.closed) return this.flush();
    if (this.kind.size(merged) >= (this.kind.maxIds ?? ACK_MAX_IDS)) {
      this.pending.delete(key);
      return this.enqueueSend([merged]);
    }
    this.flushIn(this.windowMs);
    return Promise.resolve();
  }

  /** Merges `ack` into what its key holds. */
  private hold(ack: T): { key: string; merged: T } {
    const key = this.kind.keyOf(ack);
    const held = this.pending.get(key);
    const merged = held === undefined ? ack : this.kind.merge(held, ack);
    this.pending.set(key, merged);
    return { key, merged };
  }

  /** Flushes in `ms`, unless a flush is already due. */
  private flushIn(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), ms);
    this.timer.unref();
  }

  /** Sends everything held now. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.size === 0) return this.sending;
    const acks = [...this.pending.values()];
    this.pending.clear();
    return this.enqueueSend(acks);
  }

  /** Sends what is held; later acks are sent as they come. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** One send at a time, in order; a failure holds the acks again for the next window. */
  private enqueueSend(acks: T[]): Promise<void> {
    this.sending = this.sending.then(() =>
      this.send(acks).catch((err: unknown) => {
        this.onError(err, acks.length);
        if (this.closed) return;
        for (const ack of acks) this.hold(ack);
        this.flushIn(Math.max(this.windowMs, 1000));
      }),
    );
    return this.sending;
  }
}
