// The CDNOW data of Fader, Hardie & Lee (2005), shipped in the repository (data/cdnow, see its
// README for source and terms): tests that reproduce the published estimates always run.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DIR = join(__dirname, '..', '..', '..', '..', '..', 'data', 'cdnow');
export const SUMMARY_CSV = join(DIR, 'cdnow_customers_summary_with_transactions.csv');
export const SAMPLE_TXT = join(DIR, 'CDNOW_sample.txt');

export interface SummaryRow {
  id: number;
  x: number;
  tx: number;
  T: number;
  zbar: number;
}

/** The 2,357-customer calibration summary (columns ID,x,t_x,T,zbar; weeks). */
export function readSummary(): SummaryRow[] {
  const [, ...lines] = readFileSync(SUMMARY_CSV, 'utf8').trim().split(/\r?\n/);
  return lines.map((line) => {
    const [id, x, tx, T, zbar] = line.split(',').map(Number);
    return { id, x, tx, T, zbar };
  });
}

/** The sample's transaction log (master id, sample id, yyyymmdd, CDs, dollars), keyed by sample id. */
export function readSampleTransactions(): { customerId: string; at: Date; amount: number }[] {
  return readFileSync(SAMPLE_TXT, 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((line) => {
      const [, sampleId, date, , dollars] = line.trim().split(/\s+/);
      const at = new Date(Date.UTC(Number(date.slice(0, 4)), Number(date.slice(4, 6)) - 1, Number(date.slice(6, 8))));
      return { customerId: sampleId, at, amount: Number(dollars) };
    });
}
