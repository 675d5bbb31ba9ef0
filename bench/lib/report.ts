// Small helpers every benchmark shares: knobs from the environment, progress lines, percentiles,
// CPU deltas, package versions and the plain-text result table.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

import { projectRoot } from '../../gateway/supergraph-file';
import type { CpuSnapshot } from './child';

/** A positive whole number from the environment, or `fallback` when unset. */
export function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer (got "${raw}")`);
  return n;
}

/** A whole number ≥ 0 from the environment (intEnv refuses 0), or `fallback`. */
export function wholeEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number ≥ 0 (got "${raw}")`);
  return n;
}

/** Comma-separated positive integers from the environment, or `fallback`. */
export function listEnv(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const list = raw.split(',').map((s) => Number(s.trim()));
  if (!list.length || list.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`${name}: comma-separated positive integers (got "${raw}")`);
  return list;
}

/** A progress line on stderr, so stdout keeps only the results. */
export const say = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);

export const round2 = (n: number): number => Math.round(n * 100) / 100;

/** The p-th percentile (nearest rank) of ascending values; NaN when there are none. */
export function percentile(sorted: Float64Array, p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** CPU time (user + system) between two snapshots, milliseconds. */
export function cpuMs(before: CpuSnapshot, after: CpuSnapshot): number {
  return (after.user - before.user + after.system - before.system) / 1000;
}

/** Installed version of a package, from its package.json under node_modules. */
export function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(projectRoot(), 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** A text table: the first row is the header; the first column left-aligned, the others right-aligned. */
export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** Where and on what a benchmark ran: the common head of every results file's `meta`. */
export function machineMeta(loadAverageAtStart: number) {
  return {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    loadAverageAtStart: round2(loadAverageAtStart),
  };
}

/** Writes `bench/results/<name>.json` and returns its path. */
export function writeResults(name: string, report: unknown): string {
  const dir = join(projectRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}
