import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { ensureLocalRedis, type LocalRedis } from '../embedded-redis';
import { churnModelSection, containsTruth, countActions, trueEffectOnArm, countSignals, lifetimeModelSection, readImpact, type DemoReport, type PostedCounts } from './collect-report';
import { DemoApi, type PostOutcome } from './demo-api';
import { activate, fitLifetimeModel, trainChurnModel, waitForModel } from './models';
import { pendingStages, waitForPipeline, waitForRunsToSettle } from './pipeline-wait';
import { launchBuiltSubgraph, startPlatform, type DemoPlatform, type SubgraphLauncher } from './platform';
import { PhaseProgress, type BarStream } from './progress-bar';
import { renderReportHtml } from './report-html';
import { createEnrolmentRule, DEMO_RISK_BUCKETS, setUpDemoTenant } from './setup-tenant';
import { BankSimulator, type SimEvent } from './simulator/bank-simulator';
import { SmsSink } from './sms-sink';
import { SmtpSink } from './smtp-sink';
import { TreatmentTracker } from './treatment-tracker';

const DAY = 86_400_000;

export interface DemoOptions {
  seed: number;
  customers: number;
  /** Simulated weeks of history, imported before the models are trained. */
  historyWeeks: number;
  /** Simulated weeks run live after training (each day a round of the real pipeline). */
  liveWeeks: number;
  /** Folder for the platform's data and the report (`report.html`, `report.json`). Default `.data/demo`. */
  outDir: string;
  /** The environment: REDIS_URL (else the embedded Redis) and any platform setting to pass on. */
  env: Record<string, string | undefined>;
  /** Where the progress bars go (stderr). */
  progress: BarStream;
  /** How each subgraph's process is started. Default: from the build in `dist/`, as `npm start` does. */
  launchSubgraph?: SubgraphLauncher;
}

export const DEMO_TENANT = 'demo-bank';

/**
 * `npm run demo`: Foresight on its embedded default (SQLite files, Redis from REDIS_URL or started
 * here), a demo tenant, and a simulated retail bank driven through the public API only: history
 * imported through `/v1/batch`, models trained and activated, then live days in which risk is
 * scored, alerts enrol customers in the churn playbook, messages reach local sinks, and the
 * simulator applies the playbook's true effect to those it reached. Returns the report.
 */
export async function runDemo(opts: DemoOptions): Promise<DemoReport> {
  const started = Date.now();
  const phases: DemoReport['phases'] = [];
  const phase = async <T>(name: string, total: number, fn: (bar: PhaseProgress) => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const bar = new PhaseProgress(opts.progress, name, total);
    const result = await fn(bar);
    phases.push({ name, seconds: (Date.now() - t0) / 1000 });
    return result;
  };

  const dataDir = join(opts.outDir, 'platform');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const cleanups: (() => Promise<void>)[] = [];
  try {
    // ---- start: Redis, sinks, the platform, keys
    const { api, smtp, sms } = await phase('starting Foresight', 1, async (bar) => {
      const redis: LocalRedis = await ensureLocalRedis(opts.env as NodeJS.ProcessEnv, { dataDir: opts.outDir });
      cleanups.push(() => redis.stop());
      const smtpSink = new SmtpSink();
      const smsSink = new SmsSink();
      await smtpSink.start();
      await smsSink.start();
      cleanups.push(() => smtpSink.stop(), () => smsSink.stop());
      const platform: DemoPlatform = await startPlatform(platformEnv(opts, dataDir, redis.url), opts.launchSubgraph ?? launchBuiltSubgraph);
      cleanups.push(() => platform.stop());
      const adminKey = await platform.createKey(DEMO_TENANT, ['admin'], 'npm run demo');
      const writeKey = await platform.createKey(DEMO_TENANT, ['events:write'], 'npm run demo (events)');
      bar.finish(`${platform.baseUrl}${redis.embedded ? ` · redis-server started at ${redis.url}` : ''}`);
      return { api: new DemoApi(platform.baseUrl, adminKey, writeKey), smtp: smtpSink, sms: smsSink };
    });

    const setup = await phase('defining the tenant', 1, async (bar) => {
      const s = await setUpDemoTenant(api, { smtpPort: smtp.port, smsBaseUrl: sms.baseUrl });
      // the SMS sink can play the provider's side too (`FORESIGHT_DEMO_DELIVERY_REPORTS=1`): it then
      // reports every message delivered. Off by default: the extra events feed the risk features
      // and move the demo's fixed-seed figures
      if (opts.env.FORESIGHT_DEMO_DELIVERY_REPORTS === '1') sms.reportDeliveriesTo(`${api.baseUrl}/v1/channels/${s.smsChannel.id}/delivery-status`, s.smsChannel.secret);
      bar.finish(`journey, email + SMS channels, churn playbook${s.measured ? ` (holdout ${s.holdoutFraction})` : ' (no outcome/holdout in this API)'}`);
      return s;
    });

    // ---- history: simulated weeks before now, imported, then the pipeline drains
    const historyDays = opts.historyWeeks * 7;
    const liveDays = opts.liveWeeks * 7;
    const now = Date.now();
    const sim = new BankSimulator({ seed: opts.seed, customers: opts.customers, days: historyDays + liveDays, signUpDays: historyDays + liveDays - 7, startMs: now - historyDays * DAY });
    const history: SimEvent[] = [];
    for (let d = 0; d < historyDays; d++) history.push(...sim.nextDay().events);
    const historyPosted = await phase('importing history', history.length, async (bar) => {
      let sent = 0;
      const outcome = await api.post(history, 'history', 4, (n) => bar.update((sent += n), `${sent.toLocaleString('en')} events`));
      bar.finish(`${outcome.accepted.toLocaleString('en')} events accepted from ${opts.customers.toLocaleString('en')} customers over ${opts.historyWeeks} weeks`);
      return counts(history.length, outcome);
    });
    let pipelineCaughtUp = await phase('pipeline draining', 1, async (bar) => {
      let most = 1;
      const ok = await waitForPipeline(api, { timeoutMs: 300_000, onPending: (p) => bar.update(1 - p / (most = Math.max(most, p)), `${p.toLocaleString('en')} events pending`) });
      bar.finish(ok ? 'caught up (pipelineStatus)' : 'not caught up after 5 min: going on');
      return ok;
    });

    // ---- models, trained on the imported history through the API
    const { churn, lifetime } = await phase('training models', 2, async (bar) => {
      const churnId = await trainChurnModel(api);
      const lifetimeId = await fitLifetimeModel(api, new Date(now));
      let churnProgress = 0;
      let lifetimeProgress = 0;
      const show = () => bar.update(churnProgress + lifetimeProgress, 'churn (logistic regression) · lifetime (BG/NBD + Gamma-Gamma)');
      const [c, l] = await Promise.all([
        waitForModel(api, churnId, 240_000, (p) => ((churnProgress = p), show())),
        waitForModel(api, lifetimeId, 240_000, (p) => ((lifetimeProgress = p), show())),
      ]);
      const active = [await activate(api, c), await activate(api, l)] as const;
      const auc = active[0].metrics?.holdout?.rocAuc;
      bar.finish(`churn ${c.status}${typeof auc === 'number' ? ` (AUC ${auc.toFixed(3)})` : ''} · lifetime ${l.status}`);
      return { churn: active[0], lifetime: active[1] };
    });

    // ---- live: each simulated day is posted, scored, alerted on and acted upon before the next
    const ruleId = await createEnrolmentRule(api, setup.playbookId);
    const tracker = new TreatmentTracker(api, () => smtp.recipients());
    const activeAtLiveStart = sim.customers.filter((c) => sim.isOpen(c.userId)).length;
    const livePosted = await phase('live weeks', liveDays, async (bar) => {
      const total: PostedCounts = { sent: 0, accepted: 0, duplicates: 0, refused: 0 };
      for (let d = 0; d < liveDays; d++) {
        const day = sim.nextDay();
        const outcome = await api.post(onWallClock(day.events), 'live', 4);
        add(total, counts(day.events.length, outcome));
        if (!(await waitForPipeline(api, { timeoutMs: 20_000 }))) {
          pipelineCaughtUp = false;
          opts.progress.write(`\nday ${d + 1}: the pipeline did not catch up within 20 s (${await pendingStages(api)}); going on\n`);
        }
        if (!(await waitForRunsToSettle(api, 10_000))) opts.progress.write(`\nday ${d + 1}: playbook steps still running after 10 s; going on\n`);
        sim.markTreated(await tracker.newlyTreated());
        bar.update(d + 1, `day ${d + 1}/${liveDays} · ${smtp.received.length} emails · ${sms.received.length} SMS`);
      }
      // the last runs time out into their SMS and task; the last emails still count as treatment
      await waitForRunsToSettle(api, 15_000);
      sim.markTreated(await tracker.newlyTreated());
      bar.finish(`${total.accepted.toLocaleString('en')} events · ${smtp.received.length} emails · ${sms.received.length} SMS`);
      return total;
    });

    // ---- report
    const report = await phase('measuring', 1, async (bar) => {
      const signals = await countSignals(api);
      const acted = await countActions(api, ruleId);
      const impact = setup.measured ? await readImpact(api, setup.playbookId) : { available: false as const, reason: 'playbookImpact missing' };
      const truth = sim.groundTruth();
      const report: DemoReport = {
        options: { seed: opts.seed, customers: opts.customers, historyWeeks: opts.historyWeeks, liveWeeks: opts.liveWeeks },
        wallSeconds: 0,
        phases,
        events: { history: historyPosted, live: livePosted },
        pipelineCaughtUp,
        models: { churn: churnModelSection(churn), lifetime: lifetimeModelSection(lifetime) },
        signals,
        alerts: { total: acted.alerts, byDemoRule: acted.byDemoRule.size },
        actions: { runs: acted.runProfiles.size, emailsReceived: smtp.received.length, smsReceived: sms.received.length, tasks: acted.tasks.size },
        funnel: [
          { stage: 'customers active', count: activeAtLiveStart },
          { stage: 'entered High risk', count: acted.byDemoRule.size },
          { stage: 'enrolled', count: acted.runProfiles.size },
          { stage: 'emailed', count: new Set(smtp.recipients()).size },
          { stage: 'sent an SMS', count: new Set(sms.received.map((m) => m.to)).size },
          { stage: 'task for a human', count: acted.tasks.size },
        ],
        impact,
        truth,
        trueEffectOnArm: trueEffectOnArm(impact, truth),
        intervalContainsTruth: containsTruth(impact, truth),
      };
      bar.finish();
      return report;
    });
    // written once every phase, measuring included, has its time
    report.wallSeconds = (Date.now() - started) / 1000;
    writeFileSync(join(opts.outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(join(opts.outDir, 'report.html'), renderReportHtml(report));
    return report;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

/** The platform's settings for the demo: the embedded default, quiet logs, a queue prefix of its own. */
function platformEnv(opts: DemoOptions, dataDir: string, redisUrl: string): Record<string, string> {
  const inherited = Object.fromEntries(Object.entries(opts.env).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return {
    ...inherited,
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    REDIS_URL: redisUrl,
    // its own queues and a fresh secret: a demo never meets a running `npm start` in the same Redis
    QUEUE_PREFIX: `demo-${randomBytes(4).toString('hex')}`,
    FORESIGHT_SECRET: randomBytes(32).toString('base64url'),
    LOG_LEVEL: inherited.LOG_LEVEL ?? 'error',
    RISK_TRAINING_POLL_MS: '250',
    // the bank's risk scale (see DEMO_RISK_BUCKETS)
    RISK_BUCKET_MEDIUM: String(DEMO_RISK_BUCKETS.medium),
    RISK_BUCKET_HIGH: String(DEMO_RISK_BUCKETS.high),
  };
}

/**
 * Live days happen now: each event is stamped with the wall clock (in the simulated order, a
 * millisecond apart), so that playbooks, which run on the wall clock, see outcomes after the
 * moment they enrolled the customer.
 */
function onWallClock(events: readonly SimEvent[]): SimEvent[] {
  const now = Date.now();
  return events.map((e, i) => ({ ...e, timestamp: new Date(now + i).toISOString() }));
}

function counts(sent: number, outcome: PostOutcome): PostedCounts {
  return { sent, accepted: outcome.accepted, duplicates: outcome.duplicates, refused: outcome.refused.length };
}

function add(total: PostedCounts, more: PostedCounts): void {
  total.sent += more.sent;
  total.accepted += more.accepted;
  total.duplicates += more.duplicates;
  total.refused += more.refused;
}
