import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { DemoReport } from '../../scripts/demo/collect-report';
import type { SubgraphLauncher } from '../../scripts/demo/platform';
import { renderReportText } from '../../scripts/demo/report-text';
import { runDemo } from '../../scripts/demo/run-demo';
import { forkSubgraph } from '../fixtures/subgraph-process';

/**
 * `npm run demo` end to end: a fixed seed, 1,200 customers, 12 weeks of history and 4 live (the
 * smallest run whose playbook arms both pass the 30-customer minimum, ~105 s on a 2-core box). Each
 * subgraph runs in a process of its own from the TypeScript sources (as the demo runs them from
 * the build). The demo always runs on its embedded default (SQLite), whatever FORESIGHT_TEST_DB says.
 */
describe('runDemo', () => {
  let outDir: string;
  let report: DemoReport;
  let progress = '';
  const launch: SubgraphLauncher = async (name, env) => {
    const child = await forkSubgraph(name, env, 180_000);
    return { stop: () => child.kill('SIGTERM') };
  };

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'foresight-demo-'));
    report = await runDemo({
      seed: 7,
      customers: 1200,
      historyWeeks: 12,
      liveWeeks: 4,
      outDir,
      env: { REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', LOG_LEVEL: 'error' },
      progress: { write: (text: string) => (progress += text), isTTY: false },
      launchSubgraph: launch,
    });
    // the report as `npm run demo` prints it, in the CI log
    console.log(renderReportText(report).join('\n'));
  }, 900_000);
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it('imports the history through /v1/batch and lets the pipeline drain', () => {
    expect(report.events.history.sent).toBeGreaterThan(1000);
    expect(report.events.history.accepted).toBe(report.events.history.sent);
    expect(report.events.history.refused).toBe(0);
    expect(report.events.live.accepted).toBeGreaterThan(0);
    expect(report.signals.total).toBeGreaterThan(0);
    expect(report.signals.byType.retry_loop).toBeGreaterThan(0);
  });

  it('trains the churn and lifetime models to READY and reports the churn model quality', () => {
    expect(report.models.churn).toMatchObject({ status: 'READY', active: true });
    expect(report.models.churn.rocAuc).toEqual(expect.any(Number));
    expect(report.models.churn.calibration.length).toBeGreaterThan(0);
    expect(report.models.lifetime).toMatchObject({ status: 'READY', active: true });
  });

  it('raises alerts that enrol customers in the playbook, whose emails reach the SMTP sink', () => {
    expect(report.alerts.byDemoRule).toBeGreaterThan(0);
    expect(report.actions.runs).toBeGreaterThan(0);
    expect(report.actions.emailsReceived).toBeGreaterThan(0);
    expect(report.truth.treated).toBeGreaterThan(0);
    expect(report.funnel.map((f) => f.stage)).toEqual(['customers active', 'entered High risk', 'enrolled', 'emailed', 'sent an SMS', 'task for a human']);
  });

  it('writes the report as JSON and as HTML with inline SVG charts and no external asset', () => {
    expect(JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8'))).toEqual(report);
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(existsSync(join(outDir, 'platform'))).toBe(true);
    for (const phase of ['starting Foresight', 'importing history', 'pipeline draining', 'training models', 'live weeks', 'measuring']) expect(progress).toContain(phase);
  });

  it('measures the playbook against its holdout: the uplift interval contains the true effect', () => {
    expect(report.impact).toMatchObject({ available: true, status: 'MEASURED' });
    expect(report.pipelineCaughtUp).toBe(true);
    expect(report.intervalContainsTruth).toBe(true);
  });
});
