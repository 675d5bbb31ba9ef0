// Must load before any decorated class: type-graphql and MikroORM read design-time metadata.
import 'reflect-metadata';

import { join, resolve } from 'node:path';

import { Command, InvalidArgumentError } from 'commander';

import { RedisUnavailableError } from './embedded-redis';
import { renderReportText } from './demo/report-text';
import { runDemo } from './demo/run-demo';

/** `npm run demo -- [--seed n] [--customers n] [--weeks n] [--live-weeks n]`: see scripts/demo/run-demo.ts. */
const whole = (min: number, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
  return n;
};

const program = new Command('demo')
  .description('Run Foresight on a simulated retail bank: history, models, live scoring, alerts, playbooks, measured impact')
  .option('--seed <n>', 'seed of the simulation', whole(0, 2 ** 31 - 1), 1)
  .option('--customers <n>', 'customers of the bank', whole(50, 50_000), 1500)
  .option('--weeks <n>', 'weeks of history imported before training', whole(10, 52), 16)
  .option('--live-weeks <n>', 'weeks simulated live after training', whole(1, 12), 4)
  .option('--out <dir>', 'folder for the platform data and the report', '.data/demo')
  .showHelpAfterError();

program.parse(process.argv);
// exit handlers stop the services and the embedded Redis this run started
process.once('SIGINT', () => process.exit(130));
process.once('SIGTERM', () => process.exit(143));
const opts = program.opts<{ seed: number; customers: number; weeks: number; liveWeeks: number; out: string }>();

runDemo({ seed: opts.seed, customers: opts.customers, historyWeeks: opts.weeks, liveWeeks: opts.liveWeeks, outDir: resolve(opts.out), env: process.env, progress: process.stderr })
  .then((report) => {
    for (const line of renderReportText(report)) console.log(line);
    console.log(`\nreport: ${join(resolve(opts.out), 'report.html')}`);
    process.exit(0);
  })
  .catch((err: unknown) => {
    console.error(`demo: ${err instanceof RedisUnavailableError ? err.message : ((err as Error).stack ?? String(err))}`);
    process.exit(1);
  });
