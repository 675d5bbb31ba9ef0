import { estimateEtaMs, formatDuration, formatProgress, ProgressLine } from '../../../../scripts/import/progress';

describe('formatDuration', () => {
  it.each([
    [0, '0:00'],
    [61_000, '1:01'],
    [3_723_000, '1:02:03'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe('formatProgress', () => {
  it('shows accepted, processed with its rate, bad lines and the ETA', () => {
    expect(formatProgress({ phase: 'sending', accepted: 1200, duplicates: 0, bad: 2, processed: 800, processedPerSecond: 350, etaMs: 4000 })).toBe(
      'sending · accepted 1,200 · processed 800 (350/s) · bad 2 · ETA 0:04',
    );
  });

  it('leaves out what is not known yet and the ETA once done', () => {
    expect(formatProgress({ phase: 'done', accepted: 5, duplicates: 3, bad: 0, processed: null, processedPerSecond: null, etaMs: null })).toBe('done · accepted 5 · already there 3');
  });
});

describe('estimateEtaMs', () => {
  it('takes the sending pace from the share of the file read', () => {
    expect(estimateEtaMs({ fractionRead: 0.25, elapsedMs: 1000, accepted: 100, processed: null, processedPerSecond: null })).toBe(3000);
  });

  it('takes the pipeline when it is slower than the sending', () => {
    // 400 expected in all, 100 processed, 50/s: 6 s, against 3 s of sending
    expect(estimateEtaMs({ fractionRead: 0.25, elapsedMs: 1000, accepted: 100, processed: 100, processedPerSecond: 50 })).toBe(6000);
  });

  it('is zero when everything is sent and processed, and unknown while the pipeline stands still', () => {
    expect(estimateEtaMs({ fractionRead: 1, elapsedMs: 1000, accepted: 100, processed: 100, processedPerSecond: 0 })).toBe(0);
    expect(estimateEtaMs({ fractionRead: 1, elapsedMs: 1000, accepted: 100, processed: 50, processedPerSecond: 0 })).toBeNull();
  });
});

describe('ProgressLine', () => {
  const snap = { phase: 'sending' as const, accepted: 1, duplicates: 0, bad: 0, processed: null, processedPerSecond: null, etaMs: null };

  it('redraws one terminal line at most every interval and prints messages above it', () => {
    let t = 0;
    const out: string[] = [];
    const line = new ProgressLine({ isTTY: true, write: (s) => out.push(s) }, () => t, 100);
    line.update(snap);
    t = 50;
    line.update({ ...snap, accepted: 2 });
    expect(out).toEqual(['\r\x1b[2Ksending · accepted 1 · ETA –']);
    line.print('line 3: bad');
    expect(out.slice(1)).toEqual(['\r\x1b[2K', 'line 3: bad\n']);
    line.update({ ...snap, accepted: 2 });
    expect(out[out.length - 1]).toBe('\r\x1b[2Ksending · accepted 2 · ETA –');
  });

  it('prints whole lines to a pipe', () => {
    const out: string[] = [];
    new ProgressLine({ isTTY: false, write: (s) => out.push(s) }, () => 0).finish({ ...snap, phase: 'done' });
    expect(out).toEqual(['done · accepted 1\n']);
  });
});
