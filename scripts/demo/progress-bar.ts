/** Where the bar is drawn: stderr, or a test's buffer. */
export interface BarStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

const WIDTH = 28;

/** `[█████·······]  42%` for a share done in [0, 1]. */
export function renderBar(done: number): string {
  const share = Math.max(0, Math.min(1, Number.isFinite(done) ? done : 0));
  const full = Math.round(share * WIDTH);
  return `[${'█'.repeat(full)}${'·'.repeat(WIDTH - full)}] ${String(Math.round(share * 100)).padStart(3)}%`;
}

/**
 * One progress bar per phase of the demo, in plain ANSI: on a terminal the line is redrawn in place
 * (carriage return, erase line) at most ten times a second; elsewhere only the finished line is
 * written, so logs stay readable.
 */
export class PhaseProgress {
  private lastDraw = 0;
  private readonly startedAt = Date.now();

  constructor(
    private readonly stream: BarStream,
    private readonly phase: string,
    private readonly total: number,
  ) {}

  /** Shows `done` of `total` with a short note (e.g. "1,200 events/s"). */
  update(done: number, note = ''): void {
    if (!this.stream.isTTY) return;
    const now = Date.now();
    if (now - this.lastDraw < 100 && done < this.total) return;
    this.lastDraw = now;
    this.stream.write(`\r\x1b[2K${this.line(done, note)}`);
  }

  /** Ends the phase's line with its result and elapsed time. */
  finish(note = ''): void {
    const seconds = ((Date.now() - this.startedAt) / 1000).toFixed(1);
    this.stream.write(`${this.stream.isTTY ? '\r\x1b[2K' : ''}${this.line(this.total, note)} (${seconds} s)\n`);
  }

  private line(done: number, note: string): string {
    return `${this.phase.padEnd(22)} ${renderBar(this.total ? done / this.total : 1)}${note ? `  ${note}` : ''}`;
  }
}
