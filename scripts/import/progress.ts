// The import's progress: what it shows (pure formatting and ETA) and a one-line stderr renderer.

/** Counts at one moment of an import. */
export interface ProgressSnapshot {
  phase: 'sending' | 'catching up' | 'done';
  /** Events the API accepted (new), and those it already had (repeated message ids). */
  accepted: number;
  duplicates: number;
  /** Lines refused, locally or by the API. */
  bad: number;
  /** Accepted events the pipeline has taken through identity resolution; null until known. */
  processed: number | null;
  /** Pipeline rate over the last seconds, events/s; null until known. */
  processedPerSecond: number | null;
  /** Estimated ms to the end (everything sent and processed); null until it can be told. */
  etaMs: number | null;
  /** Why the import is waiting, while it waits to retry (e.g. `429, retry in 2 s`). */
  note?: string | null;
}

/** `1,234`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}` : `${m}:${String(s).padStart(2, '0')}`;
}

/** One line: `sending · accepted 1,200 · processed 800 (350/s) · bad 2 · ETA 0:04`. */
export function formatProgress(s: ProgressSnapshot): string {
  const parts = [s.phase, `accepted ${formatCount(s.accepted)}`];
  if (s.duplicates > 0) parts.push(`already there ${formatCount(s.duplicates)}`);
  if (s.processed !== null) parts.push(`processed ${formatCount(s.processed)}${s.processedPerSecond !== null ? ` (${formatCount(s.processedPerSecond)}/s)` : ''}`);
  if (s.bad > 0) parts.push(`bad ${formatCount(s.bad)}`);
  if (s.phase !== 'done') parts.push(`ETA ${s.etaMs === null ? '–' : formatDuration(s.etaMs)}`);
  if (s.note) parts.push(s.note);
  return parts.join(' · ');
}

/**
 * Time to the end, in ms: the longer of finishing the sending (at the pace so far, from the share
 * of the file read) and the pipeline working through what is left at its current rate (the file's
 * events estimated from the accepted ones and the share read). Null when neither can be told yet.
 */
export function estimateEtaMs(input: {
  /** Share of the file read, 0–1. */
  fractionRead: number;
  elapsedMs: number;
  accepted: number;
  processed: number | null;
  processedPerSecond: number | null;
}): number | null {
  const { fractionRead, elapsedMs, accepted, processed, processedPerSecond } = input;
  const sending = fractionRead > 0 && fractionRead < 1 ? (elapsedMs * (1 - fractionRead)) / fractionRead : fractionRead >= 1 ? 0 : null;
  let pipeline: number | null = null;
  if (processed !== null && processedPerSecond !== null && fractionRead > 0) {
    const expectedTotal = accepted / Math.min(1, fractionRead);
    const left = Math.max(0, expectedTotal - processed);
    pipeline = left === 0 ? 0 : processedPerSecond > 0 ? (left / processedPerSecond) * 1000 : null;
  }
  if (sending === null) return pipeline;
  if (pipeline === null) return processed !== null && processed < accepted ? null : sending;
  return Math.max(sending, pipeline);
}

/** The stream the line is drawn on (process.stderr, or a fake in tests). */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Draws the progress on one line of a terminal, redrawn at most every `everyMs` (default 100 ms);
 * on a pipe or file, where redrawing is impossible, it prints a line every 5 s instead.
 * `print` writes a message above the line (a bad row) without breaking it.
 */
export class ProgressLine {
  private last = -Infinity;
  private drawn = false;
  private readonly everyMs: number;

  constructor(
    private readonly stream: ProgressStream,
    private readonly now: () => number = Date.now,
    everyMs?: number,
  ) {
    this.everyMs = everyMs ?? (stream.isTTY ? 100 : 5_000);
  }

  update(snapshot: ProgressSnapshot, force = false): void {
    const t = this.now();
    if (!force && t - this.last < this.everyMs) return;
    this.last = t;
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[2K${formatProgress(snapshot)}`);
      this.drawn = true;
    } else {
      this.stream.write(`${formatProgress(snapshot)}\n`);
    }
  }

  print(text: string): void {
    if (this.drawn) this.stream.write('\r\x1b[2K');
    this.stream.write(`${text}\n`);
    // the next update redraws the line under the message
    this.last = -Infinity;
    this.drawn = false;
  }

  /** Ends the line, leaving the final state on screen. */
  finish(snapshot: ProgressSnapshot): void {
    this.update(snapshot, true);
    if (this.stream.isTTY) this.stream.write('\n');
  }
}
