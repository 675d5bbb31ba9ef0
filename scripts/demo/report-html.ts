import type { DemoReport } from './collect-report';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const num = (x: number | null, digits = 3) => (x === null ? '—' : x.toFixed(digits));

/**
 * The demo's report as one self-contained HTML page: tables and inline SVG charts (the measured
 * uplift with its interval beside the true effect, the churn model's calibration, and the funnel
 * from active customers to tasks). No script, no external asset.
 */
export function renderReportHtml(report: DemoReport): string {
  const { options, models, impact, truth } = report;
  const impactText = impact.available
    ? impact.status === 'MEASURED' && impact.uplift
      ? `measured uplift ${pct(impact.uplift.value)} [${pct(impact.uplift.low)}, ${pct(impact.uplift.high)}]${impact.revenueProtected ? ` · revenue protected €${Math.round(impact.revenueProtected.value).toLocaleString('en')} [€${Math.round(impact.revenueProtected.low).toLocaleString('en')}, €${Math.round(impact.revenueProtected.high).toLocaleString('en')}]` : ''}`
      : `insufficient sample: ${esc(impact.reason ?? '')}`
    : `not available (${esc(impact.reason)})`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Foresight demo report</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:960px;color:#1d2733;padding:0 1rem}
h1{font-size:1.6rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #dde3ea;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.5rem 0}td,th{padding:.2rem .8rem .2rem 0;text-align:left}th{font-weight:600}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(280px,1fr));gap:1.5rem}
.muted{color:#66727f}svg text{font:12px system-ui,sans-serif;fill:#1d2733}
</style></head><body>
<h1>Foresight demo: a retail bank, ${options.customers.toLocaleString('en')} customers</h1>
<p class="muted">seed ${options.seed} · ${options.historyWeeks} weeks of history, ${options.liveWeeks} weeks live · ${report.wallSeconds.toFixed(0)} s wall time</p>
<h2>Did the playbook work?</h2>
<p>True effect on the treated (known only to the simulator): <b>${pct(truth.averageEffectOnTreated)}</b> fewer account closures, over ${truth.treated} customers reached by the email.<br>
Foresight's <code>playbookImpact</code>: <b>${impactText}</b>${report.intervalContainsTruth === null ? '' : report.intervalContainsTruth ? ' — the interval contains the true effect.' : ' — the interval misses the true effect.'}</p>
<div class="grid">
<figure>${upliftChart(report)}<figcaption>Uplift in account closures (rate points), measured with its interval, and the true effect.</figcaption></figure>
<figure>${calibrationChart(models.churn.calibration)}<figcaption>Churn model calibration on held-out customers: predicted vs observed.</figcaption></figure>
</div>
<h2>Models</h2>
<table>
<tr><th>churn (logistic regression)</th><td>${models.churn.status}${models.churn.forcedBecause ? ' (activated with force)' : ''}</td><td>ROC AUC ${num(models.churn.rocAuc)}</td><td>PR AUC ${num(models.churn.prAuc)}</td><td>Brier ${num(models.churn.brier)}</td><td>${models.churn.rows ?? '—'} rows, ${models.churn.positives ?? '—'} positive</td></tr>
<tr><th>lifetime (BG/NBD + Gamma-Gamma)</th><td>${models.lifetime.status}</td><td colspan="4">${models.lifetime.customersUsed ?? '—'} customers${models.lifetime.error ? ` · ${esc(models.lifetime.error)}` : ''}</td></tr>
</table>
<h2>The loop</h2>
<div class="grid"><figure>${funnelChart(report.funnel)}<figcaption>Live weeks: from active customers to human tasks.</figcaption></figure>
<table>
<tr><th>events accepted</th><td>${report.events.history.accepted.toLocaleString('en')} history · ${report.events.live.accepted.toLocaleString('en')} live</td></tr>
<tr><th>friction signals</th><td>${report.signals.total.toLocaleString('en')} (${Object.entries(report.signals.byType).map(([t, n]) => `${esc(t)} ${n}`).join(', ')})</td></tr>
<tr><th>alerts</th><td>${report.alerts.total} (${report.alerts.byDemoRule} customers by the playbook's rule)</td></tr>
<tr><th>actions</th><td>${report.actions.runs} enrolled · ${report.actions.emailsReceived} emails · ${report.actions.smsReceived} SMS · ${report.actions.tasks} tasks</td></tr>
<tr><th>accounts closed</th><td>${truth.closedAccounts} of ${truth.customers}</td></tr>
</table></div>
<h2>Phases</h2>
<table>${report.phases.map((p) => `<tr><td>${esc(p.name)}</td><td>${p.seconds.toFixed(1)} s</td></tr>`).join('')}</table>
</body></html>
`;
}

/** Horizontal scale of the uplift chart: both the interval and the truth fit, with 0 in view. */
function upliftChart(report: DemoReport): string {
  const { impact, truth } = report;
  const measured = impact.available && impact.status === 'MEASURED' && impact.uplift ? impact.uplift : null;
  const target = report.trueEffectOnArm ?? truth.averageEffectOnTreated;
  const lo = Math.min(0, target, measured?.low ?? 0) - 0.02;
  const hi = Math.max(0.05, target, measured?.high ?? 0) + 0.02;
  const x = (v: number) => 40 + ((v - lo) / (hi - lo)) * 260;
  const rows = [
    measured
      ? `<line x1="${x(measured.low)}" x2="${x(measured.high)}" y1="50" y2="50" stroke="#2f6fb5" stroke-width="2"/><line x1="${x(measured.low)}" x2="${x(measured.low)}" y1="42" y2="58" stroke="#2f6fb5" stroke-width="2"/><line x1="${x(measured.high)}" x2="${x(measured.high)}" y1="42" y2="58" stroke="#2f6fb5" stroke-width="2"/><circle cx="${x(measured.value)}" cy="50" r="5" fill="#2f6fb5"/><text x="${x(measured.value)}" y="34" text-anchor="middle">measured ${pct(measured.value)}</text>`
      : `<text x="170" y="54" text-anchor="middle" class="muted">measured: not available</text>`,
    `<rect x="${x(target) - 5}" y="95" width="10" height="10" fill="#c2410c"/><text x="${x(target)}" y="88" text-anchor="middle">true ${pct(target)}</text>`,
  ];
  return `<svg viewBox="0 0 340 140" width="340" height="140" role="img" aria-label="uplift with error bars">
<line x1="${x(0)}" x2="${x(0)}" y1="20" y2="115" stroke="#aab4bf" stroke-dasharray="3 3"/><text x="${x(0)}" y="130" text-anchor="middle">0</text>
${rows.join('\n')}</svg>`;
}

function calibrationChart(bins: DemoReport['models']['churn']['calibration']): string {
  const s = (v: number) => 30 + v * 240;
  const y = (v: number) => 260 - v * 240;
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const points = bins
    .map((b) => `<circle cx="${s(b.meanPredicted).toFixed(1)}" cy="${y(b.observedRate).toFixed(1)}" r="${(3 + 6 * Math.sqrt(b.count / maxCount)).toFixed(1)}" fill="#2f6fb5" fill-opacity="0.7"><title>predicted ${pct(b.meanPredicted)}, observed ${pct(b.observedRate)} (${b.count})</title></circle>`)
    .join('');
  return `<svg viewBox="0 0 290 290" width="290" height="290" role="img" aria-label="calibration">
<rect x="30" y="20" width="240" height="240" fill="none" stroke="#dde3ea"/>
<line x1="${s(0)}" y1="${y(0)}" x2="${s(1)}" y2="${y(1)}" stroke="#aab4bf" stroke-dasharray="4 4"/>
${points}<text x="150" y="285" text-anchor="middle">predicted</text><text x="12" y="140" transform="rotate(-90 12 140)" text-anchor="middle">observed</text></svg>`;
}

function funnelChart(funnel: DemoReport['funnel']): string {
  const max = Math.max(1, ...funnel.map((f) => f.count));
  const bars = funnel
    .map((f, i) => {
      const w = Math.max(1, (f.count / max) * 220);
      return `<text x="0" y="${22 + i * 28}">${esc(f.stage)}</text><rect x="120" y="${9 + i * 28}" width="${w.toFixed(1)}" height="18" fill="#2f6fb5"/><text x="${(126 + w).toFixed(1)}" y="${22 + i * 28}">${f.count.toLocaleString('en')}</text>`;
    })
    .join('\n');
  return `<svg viewBox="0 0 400 ${funnel.length * 28 + 10}" width="400" height="${funnel.length * 28 + 10}" role="img" aria-label="funnel">${bars}</svg>`;
}
