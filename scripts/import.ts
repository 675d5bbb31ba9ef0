import { Command, InvalidArgumentError } from 'commander';

import { runImport, type ImportOptions } from './import/run-import';

/**
 * `npm run import -- <file> [options]`: posts a tenant's history (NDJSON of Segment events, or CSV
 * with a column mapping) through `/v1/batch`, like live traffic, then waits until the pipeline
 * has processed it. See the README, "Importing history".
 */
const integer = (name: string, min: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
  return n;
};
const collect = (value: string, previous: string[] = []) => [...previous, value];

const program = new Command('import')
  .description('import a history of events through the same pipeline as live traffic')
  .argument('<file>', 'NDJSON (.ndjson/.jsonl/.json: one Segment event per line) or CSV (anything else)')
  .option('--format <format>', 'ndjson or csv (default: from the extension)')
  .option('--map <rules>', 'CSV: target=column[:type],… e.g. userId=customer_id,timestamp=date:yyyymmdd,properties.revenue=amount:number (repeatable)', collect)
  .option('--event <name>', 'CSV: event name of every row, e.g. "Order Completed" (type track)')
  .option('--type <type>', 'CSV: event type of every row (default track with an event name, else identify)')
  .option('--delimiter <d>', 'CSV: comma (default), tab, semicolon, pipe, whitespace, or one character')
  .option('--columns <names>', 'CSV: comma-separated names of the columns of a file without a header line')
  .option('--url <url>', 'gateway base URL', 'http://127.0.0.1:4000')
  .option('--key <key>', 'API key with events:write (and admin, to wait for the pipeline); default $FORESIGHT_KEY')
  .option('--batch-size <n>', 'events per request (at most 500)', integer('--batch-size', 1), 100)
  .option('--concurrency <n>', 'requests in flight', integer('--concurrency', 1), 4)
  .option('--retries <n>', 'attempts per request on server errors (429 is retried without limit)', integer('--retries', 1), 8)
  .option('--no-wait', 'exit once everything is sent, without waiting for the pipeline')
  .option('--wait-timeout <seconds>', 'stop waiting for the pipeline after this long', integer('--wait-timeout', 1))
  .showHelpAfterError()
  .action(async (file: string, opts: Record<string, any>) => {
    const key = opts.key ?? process.env.FORESIGHT_KEY;
    if (!key) program.error('a key is needed: --key <key> or FORESIGHT_KEY', { exitCode: 2 });
    if (opts.format !== undefined && opts.format !== 'ndjson' && opts.format !== 'csv') program.error('--format must be ndjson or csv', { exitCode: 2 });
    const options: ImportOptions = {
      file,
      format: opts.format,
      map: opts.map,
      event: opts.event,
      type: opts.type,
      delimiter: opts.delimiter,
      columns: opts.columns ? String(opts.columns).split(',').map((c: string) => c.trim()) : undefined,
      url: opts.url,
      key,
      batchSize: opts.batchSize,
      concurrency: opts.concurrency,
      retries: opts.retries,
      wait: opts.wait,
      waitTimeoutMs: opts.waitTimeout === undefined ? undefined : opts.waitTimeout * 1000,
    };
    const report = await runImport(options, { progress: process.stderr, say: (line) => console.error(line) });
    process.exitCode = report.exitCode;
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
