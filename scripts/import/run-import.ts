// `npm run import`: streams a file of events to the gateway's `/v1/batch`, then waits for the
// pipeline. The CLI (scripts/import.ts) parses arguments; this runs the import and is what the
// e2e test calls in process.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';

import { BatchPacker, type PackedBatch } from './batch-packer';
import { FatalImportError, sendBatch, type SendOutcome } from './batch-sender';
import { parseColumnMapping, type ConstantMember } from './column-mapping';
import { parseDelimiter } from './csv-record';
import { ImportSetupError, LineParser, type ImportFormat } from './line-parser';
import { readTenantBacklog, type TenantBacklog } from './pipeline-watch';
import { estimateEtaMs, formatCount, formatDuration, ProgressLine, type ProgressSnapshot, type ProgressStream } from './progress';

export interface ImportOptions {
  file: string;
  /** Default: from the extension (`.ndjson`, `.jsonl`, `.json` → ndjson; anything else → csv). */
  format?: ImportFormat;
  /** CSV: see `parseDelimiter`. Default `,` (`tab` for a `.tsv` file). */
  delimiter?: string;
  /** CSV: names for the columns of a headerless file (line 1 is then data). */
  columns?: string[];
  /** CSV: `--map` values (see `parseColumnMapping`). */
  map?: string[];
  /** CSV: the `event` of every row (`--event "Order Completed"`). */
  event?: string;
  /** CSV: the `type` of every row. Default `track` when rows have an event name, else `identify`. */
  type?: string;
  /** Gateway base URL. */
  url: string;
  /** Key with `events:write` (and `admin` to wait for the pipeline). */
  key: string;
  /** Events per request, at most 500 (the API's batch limit also caps bytes). Default 100. */
  batchSize?: number;
  /** Requests in flight at once. Default 4. */
  concurrency?: number;
  /** Attempts per request on server errors (see `SenderOptions.retries`). Default 8. */
  retries?: number;
  /** Wait until the pipeline has processed the tenant's events. Default true. */
  wait?: boolean;
  /** Between `pipelineStatus` polls, in ms. Default 1000. */
  pollMs?: number;
  /** Give up waiting after this many ms (the events stay queued). Default: wait as long as it takes. */
  waitTimeoutMs?: number;
}

export interface ImportIo {
  /** Where the progress line goes (stderr). */
  progress: ProgressStream;
  /** Messages for the user (bad lines, warnings, the summary), one per call. */
  say: (line: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface ImportReport {
  /** Records read (events and bad lines; not the header or blank lines). */
  records: number;
  accepted: number;
  duplicates: number;
  /** Refused lines in line order (at most `MAX_REPORTED_BAD`; `badCount` has them all). */
  bad: { line: number; reason: string }[];
  badCount: number;
  requests: number;
  /** True once the pipeline caught up, false on a wait timeout, null when not waited for. */
  caughtUp: boolean | null;
  sendMs: number;
  totalMs: number;
  /** 0 when anything was sent; 1 when nothing could be; 2 for a usage error (nothing read). */
  exitCode: number;
}

/** Bad lines kept for the report and printed; beyond it only the count grows. */
const MAX_REPORTED_BAD = 10_000;
const MAX_PRINTED_BAD = 200;
/** Window of the pipeline rate, in ms. */
const RATE_WINDOW_MS = 10_000;

/** Runs an import to the end; never throws for bad input (the report says what happened). */
export async function runImport(options: ImportOptions, io: ImportIo): Promise<ImportReport> {
  const now = io.now ?? Date.now;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = now();
  const report: ImportReport = { records: 0, accepted: 0, duplicates: 0, bad: [], badCount: 0, requests: 0, caughtUp: null, sendMs: 0, totalMs: 0, exitCode: 0 };
  const usage = (message: string): ImportReport => {
    io.say(`import: ${message}`);
    return { ...report, exitCode: 2, totalMs: now() - started };
  };

  const parser = createParser(options);
  if (typeof parser === 'string') return usage(parser);
  let size: number;
  try {
    size = statSync(options.file).size;
  } catch (err) {
    return usage(`cannot read ${options.file}: ${(err as Error).message}`);
  }

  const line = new ProgressLine(io.progress, now);
  const rate: { at: number; processed: number }[] = [];
  let backlog: TenantBacklog | null = null;
  /**
   * Accepted events through identity resolution, as of the last poll: events accepted before the
   * poll started, less the tenant's unprocessed ones (those include events of requests still in
   * flight, and any older backlog), so a lower bound; never moves back.
   */
  let processed: number | null = null;
  let backlogError: string | null = null;
  let note: string | null = null;
  let phase: ProgressSnapshot['phase'] = 'sending';
  let fractionRead = 0;
  const snapshot = (): ProgressSnapshot => {
    const perSecond = ratePerSecond(rate);
    return {
      phase,
      accepted: report.accepted,
      duplicates: report.duplicates,
      bad: report.badCount,
      processed,
      processedPerSecond: perSecond,
      etaMs: estimateEtaMs({ fractionRead, elapsedMs: now() - started, accepted: report.accepted, processed, processedPerSecond: perSecond }),
      note,
    };
  };
  const recordBad = ({ line: at, reason }: { line: number; reason: string }) => {
    const bad = { line: at, reason };
    report.badCount++;
    if (report.bad.length < MAX_REPORTED_BAD) report.bad.push(bad);
    if (report.badCount <= MAX_PRINTED_BAD) line.print(`line ${bad.line}: ${bad.reason}`);
    else if (report.badCount === MAX_PRINTED_BAD + 1) line.print(`… more bad lines: only the count is shown from here on`);
  };
  const poll = async () => {
    const acceptedBefore = report.accepted;
    const read = await readTenantBacklog(options.url, options.key);
    if ('error' in read) {
      backlogError = read.error;
      return;
    }
    backlog = read;
    processed = Math.max(processed ?? 0, acceptedBefore - read.unresolved);
    const t = now();
    rate.push({ at: t, processed });
    while (rate.length > 2 && t - rate[0].at > RATE_WINDOW_MS) rate.shift();
  };

  // polls during the sending too, for the processed count and the ETA
  const wait = options.wait ?? true;
  const pollMs = options.pollMs ?? 1000;
  let sending = true;
  const poller = wait
    ? (async () => {
        while (sending && backlogError === null) {
          await poll();
          line.update(snapshot());
          await sleep(pollMs);
        }
      })()
    : Promise.resolve();

  const packer = new BatchPacker(Math.min(500, Math.max(1, options.batchSize ?? 100)));
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const inFlight = new Set<Promise<void>>();
  let fatal: string | null = null;
  const settle = (outcome: SendOutcome) => {
    report.accepted += outcome.accepted;
    report.duplicates += outcome.duplicates;
    for (const bad of outcome.bad) recordBad(bad);
    line.update(snapshot());
  };
  const send = async (batch: PackedBatch) => {
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (fatal) return;
    report.requests++;
    const job = sendBatch(batch, {
      url: options.url,
      key: options.key,
      retries: options.retries,
      sleep,
      onRetry: ({ status, waitMs }) => {
        note = `${status ?? 'no answer'}, retrying in ${formatDuration(waitMs)}`;
        line.update(snapshot(), true);
      },
    })
      .then((outcome) => {
        note = null;
        settle(outcome);
      })
      .catch((err: unknown) => {
        if (!(err instanceof FatalImportError)) throw err;
        fatal = err.message;
      });
    const tracked = job.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };

  const stream = createReadStream(options.file);
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let lineNo = 0;
  // the stream reads ahead of the lines handed out: count the bytes of the lines themselves
  let bytesDone = 0;
  try {
    for await (const text of lines) {
      lineNo++;
      bytesDone += Buffer.byteLength(text) + 1;
      const record = parser.push(text, lineNo);
      fractionRead = size > 0 ? Math.min(1, bytesDone / size) : 1;
      if (!record) continue;
      report.records++;
      if (record.kind === 'bad') {
        recordBad(record);
        continue;
      }
      const batch = packer.add({ line: record.line, json: JSON.stringify(record.event) });
      if (batch) await send(batch);
      if (fatal) break;
      line.update(snapshot());
    }
    const tail = parser.end();
    if (tail) {
      report.records++;
      recordBad(tail);
    }
  } catch (err) {
    if (!(err instanceof ImportSetupError)) throw err;
    lines.close();
    stream.destroy();
    sending = false;
    await Promise.all(inFlight);
    await poller;
    return usage(err.message);
  } finally {
    lines.close();
  }
  fractionRead = 1;
  const last = packer.flush();
  if (last && !fatal) await send(last);
  await Promise.all(inFlight);
  sending = false;
  await poller;
  report.sendMs = now() - started;
  if (fatal) io.say(`import: ${fatal}`);

  if (wait && report.accepted + report.duplicates > 0 && !fatal) {
    phase = 'catching up';
    report.caughtUp = await waitForPipeline(options, { poll, sleep, now, pollMs, update: () => line.update(snapshot()), caught: () => backlog, failed: () => backlogError });
    if (backlogError) io.say(`import: not waiting for the pipeline: ${backlogError}`);
    else if (report.caughtUp === false) io.say(`import: stopped waiting after ${formatDuration(options.waitTimeoutMs ?? 0)}; the events stay queued`);
    if (backlogError) report.caughtUp = null;
  }
  phase = 'done';
  report.totalMs = now() - started;
  line.finish(snapshot());
  report.bad.sort((a, b) => a.line - b.line);
  report.exitCode = report.accepted + report.duplicates > 0 ? 0 : 1;
  io.say(summary(options.file, report));
  return report;
}

/** The line parser the options describe, or what is wrong with them. */
function createParser(options: ImportOptions): LineParser | string {
  const ext = extname(options.file).toLowerCase();
  const format: ImportFormat = options.format ?? (['.ndjson', '.jsonl', '.json'].includes(ext) ? 'ndjson' : 'csv');
  const digest = (text: string) => createHash('sha256').update(text).digest('hex');
  if (format === 'ndjson') {
    if (options.map?.length || options.columns?.length || options.event || options.type) return '--map, --columns, --event and --type apply to CSV files only';
    return new LineParser({ format, digest });
  }
  const rules = parseColumnMapping(options.map ?? []);
  if (typeof rules === 'string') return `bad --map:\n${rules}`;
  if (rules.length === 0 && !options.event) return 'a CSV file needs --map (e.g. --map userId=customer_id,timestamp=date)';
  const delimiter = parseDelimiter(options.delimiter ?? (ext === '.tsv' ? 'tab' : undefined));
  if (typeof delimiter === 'string') return delimiter;
  const constants: ConstantMember[] = [];
  if (options.type) constants.push({ target: ['type'], value: options.type });
  if (options.event) constants.push({ target: ['event'], value: options.event });
  try {
    return new LineParser({ format, delimiter, columns: options.columns, rules, constants, digest });
  } catch (err) {
    if (err instanceof ImportSetupError) return err.message;
    throw err;
  }
}

/**
 * Polls until the tenant's backlog is empty, fully seen (no partial scan), for two polls in a row:
 * a hand-off between two stages can look empty once.
 */
async function waitForPipeline(
  options: ImportOptions,
  ctx: {
    poll: () => Promise<void>;
    sleep: (ms: number) => Promise<void>;
    now: () => number;
    pollMs: number;
    update: () => void;
    caught: () => TenantBacklog | null;
    failed: () => string | null;
  },
): Promise<boolean> {
  const deadline = options.waitTimeoutMs === undefined ? Infinity : ctx.now() + options.waitTimeoutMs;
  let emptyPolls = 0;
  for (;;) {
    await ctx.poll();
    if (ctx.failed()) return false;
    ctx.update();
    const backlog = ctx.caught();
    emptyPolls = backlog && backlog.pending === 0 && !backlog.partial ? emptyPolls + 1 : 0;
    if (emptyPolls >= 2) return true;
    if (ctx.now() >= deadline) return false;
    await ctx.sleep(emptyPolls > 0 ? Math.min(ctx.pollMs, 250) : ctx.pollMs);
  }
}

function ratePerSecond(samples: readonly { at: number; processed: number }[]): number | null {
  if (samples.length < 2) return null;
  const first = samples[0];
  const last = samples[samples.length - 1];
  return last.at > first.at ? ((last.processed - first.processed) * 1000) / (last.at - first.at) : null;
}

function summary(file: string, r: ImportReport): string {
  const parts = [
    `${file}: ${formatCount(r.records)} records in ${formatCount(r.requests)} requests`,
    `accepted ${formatCount(r.accepted)}`,
    `already there ${formatCount(r.duplicates)}`,
    `bad ${formatCount(r.badCount)}`,
    `sent in ${formatDuration(r.sendMs)}`,
  ];
  if (r.caughtUp === true) parts.push(`pipeline caught up after ${formatDuration(r.totalMs)}`);
  return parts.join(' · ');
}
