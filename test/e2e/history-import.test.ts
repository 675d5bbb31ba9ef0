import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runImport, type ImportOptions, type ImportReport } from '../../scripts/import/run-import';
import { forkAcrossTenants } from '../../subgraphs/common/tenant-filter';
import { Profile } from '../../subgraphs/profiles/entities/profile.entity';
import { Event } from '../../subgraphs/signals/entities/event.entity';
import { startStack, type Stack } from '../fixtures/stack';
import { waitFor } from '../fixtures/wait-for';

const NDJSON = [
  '{"type":"identify","userId":"n1","traits":{"plan":"pro"}}',
  '{"type":"track","event":"Order Completed","userId":"n1","timestamp":"2024-01-02T10:00:00Z","properties":{"revenue":12}}',
  '{"type":"track","userId":"n2"}', // line 3: the API refuses a track without event
  '',
  '{"type":"track","event":"Order Completed","userId":"n2",', // line 5: not JSON
  '{"type":"track","event":"Order Completed","userId":"n2","timestamp":"2024-01-03T10:00:00Z","properties":{"revenue":5}}',
].join('\n');

const CSV = ['customer,day,amount', 'c1,20240105,10.5', 'c2,20240106,3', 'c2,2024-01-07x,4', 'c3,20240107,8', 'c3,20240107,8'].join('\r\n');

describe('npm run import (runImport against a stack)', () => {
  let stack: Stack;
  let dir: string;
  let key: string;
  const say: string[] = [];
  const progress: string[] = [];

  beforeAll(async () => {
    stack = await startStack();
    key = await stack.key('importer', ['events:write', 'admin']);
    dir = mkdtempSync(join(tmpdir(), 'foresight-import-'));
    writeFileSync(join(dir, 'history.ndjson'), NDJSON);
    writeFileSync(join(dir, 'orders.csv'), CSV);
  });
  afterAll(async () => {
    await stack?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const run = (options: Partial<ImportOptions> & { file: string }): Promise<ImportReport> =>
    runImport(
      { url: stack.gateway.url, key, batchSize: 2, concurrency: 2, pollMs: 100, waitTimeoutMs: 30_000, ...options },
      { progress: { isTTY: false, write: (s) => progress.push(s) }, say: (line) => say.push(line) },
    );
  const events = (userIds: string[]) => forkAcrossTenants(stack.subgraphs.signals.deps.orm).find(Event, { tenantId: 'importer', userId: { $in: userIds } });
  const profiles = () => forkAcrossTenants(stack.subgraphs.profiles.deps.orm).count(Profile, { tenantId: 'importer' });

  it('imports an NDJSON file, keeping the good lines, reporting the bad ones by number, and returns once the pipeline caught up', async () => {
    const report = await run({ file: join(dir, 'history.ndjson') });
    expect(report).toMatchObject({ records: 5, accepted: 3, duplicates: 0, badCount: 2, exitCode: 0, caughtUp: true });
    // waited for: every event is through the pipeline when the import returns
    const stored = await events(['n1', 'n2']);
    expect(stored).toHaveLength(3);
    expect(stored.every((e) => e.processedAt !== null)).toBe(true);
    expect(report.bad).toEqual([
      { line: 3, reason: 'track needs event (a non-empty string)' },
      { line: 5, reason: expect.stringMatching(/^not valid JSON/) },
    ]);
    expect(say).toEqual(expect.arrayContaining([expect.stringMatching(/accepted 3 .* bad 2/)]));
    expect(progress.join('')).toMatch(/line 3: track needs event/);
    expect(progress.join('')).toMatch(/done · accepted 3 · processed 3/);
    await waitFor(async () => (await profiles()) === 2, 20_000, 100);
  }, 120_000);

  it('imports a CSV file through a column mapping, two equal rows staying two purchases', async () => {
    const report = await run({
      file: join(dir, 'orders.csv'),
      map: ['userId=customer,timestamp=day:yyyymmdd', 'properties.revenue=amount:number'],
      event: 'Order Completed',
    });
    expect(report).toMatchObject({ records: 5, accepted: 4, badCount: 1, exitCode: 0, caughtUp: true });
    expect(report.bad).toEqual([{ line: 4, reason: 'column day: "2024-01-07x" is not a YYYYMMDD date' }]);
    const all = await events(['c1', 'c2', 'c3']);
    expect(all).toHaveLength(4);
    expect(all.every((e) => e.processedAt !== null)).toBe(true);
    const stored = await events(['c3']);
    expect(stored.map((e) => [e.type, e.name, e.timestamp.toISOString(), e.properties])).toEqual([
      ['track', 'Order Completed', '2024-01-07T00:00:00.000Z', { revenue: 8 }],
      ['track', 'Order Completed', '2024-01-07T00:00:00.000Z', { revenue: 8 }],
    ]);
    await waitFor(async () => (await profiles()) === 5, 20_000, 100);
  });

  it('sends without waiting with wait off, and says why when the key cannot read pipelineStatus', async () => {
    const writer = await stack.key('importer', ['events:write']);
    const unwaited = await run({ file: join(dir, 'history.ndjson'), wait: false });
    expect(unwaited).toMatchObject({ duplicates: 3, caughtUp: null, exitCode: 0 });
    const noAdmin = await run({ file: join(dir, 'history.ndjson'), key: writer });
    expect(noAdmin).toMatchObject({ duplicates: 3, caughtUp: null, exitCode: 0 });
    expect(say.join('\n')).toMatch(/not waiting for the pipeline: .*admin/);
  });

  it('sends nothing new when the same file is imported again', async () => {
    const report = await run({ file: join(dir, 'orders.csv'), map: ['userId=customer,timestamp=day:yyyymmdd,properties.revenue=amount:number'], event: 'Order Completed' });
    expect(report).toMatchObject({ accepted: 0, duplicates: 4, badCount: 1, exitCode: 0 });
  });

  it('exits non-zero when nothing could be sent, and with a usage error for a mapping naming a missing column', async () => {
    const refused = await run({ file: join(dir, 'history.ndjson'), key: 'fs_nope' });
    expect(refused.caughtUp).toBeNull();
    expect(refused.exitCode).toBe(1);
    expect(say.join('\n')).toMatch(/refused the key \(401\)/);
    const usage = await run({ file: join(dir, 'orders.csv'), map: ['userId=client'], event: 'x' });
    expect(usage.exitCode).toBe(2);
    expect(say[say.length - 1]).toMatch(/no column named "client"/);
  });
});
