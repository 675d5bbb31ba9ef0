import type { DemoReport, Estimate } from './collect-report';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const euros = (x: number) => `€${Math.round(x).toLocaleString('en')}`;
const interval = (e: Estimate, f: (x: number) => string) => `${f(e.value)} [${f(e.low)}, ${f(e.high)}]`;

/** The demo's report as lines of plain text for the terminal. */
export function renderReportText(report: DemoReport): string[] {
  const { models, impact, truth } = report;
  const lines = [
    '',
    `Foresight demo · seed ${report.options.seed} · ${report.options.customers.toLocaleString('en')} customers · ${report.options.historyWeeks} weeks of history + ${report.options.liveWeeks} live · ${report.wallSeconds.toFixed(0)} s`,
    '',
    `events      ${report.events.history.accepted.toLocaleString('en')} history + ${report.events.live.accepted.toLocaleString('en')} live accepted (${report.events.history.refused + report.events.live.refused} refused)`,
    `churn model ${models.churn.status}${models.churn.forcedBecause ? ' (activated with force)' : ''} · ROC AUC ${models.churn.rocAuc?.toFixed(3) ?? '—'} · Brier ${models.churn.brier?.toFixed(3) ?? '—'} · calibration ${models.churn.calibration.map((b) => `${pct(b.meanPredicted)}→${pct(b.observedRate)}`).join(' ') || '—'}`,
    `lifetime    ${models.lifetime.status} · ${models.lifetime.customersUsed ?? '—'} customers${models.lifetime.error ? ` · ${models.lifetime.error}` : ''}`,
    `signals     ${report.signals.total.toLocaleString('en')} (${Object.entries(report.signals.byType).map(([t, n]) => `${t} ${n}`).join(', ')})`,
    `alerts      ${report.alerts.total} (${report.alerts.byDemoRule} customers entered High risk under the playbook's rule)`,
    `actions     ${report.actions.runs} enrolled · ${report.actions.emailsReceived} emails · ${report.actions.smsReceived} SMS · ${report.actions.tasks} tasks`,
    `funnel      ${report.funnel.map((f) => `${f.stage} ${f.count}`).join(' → ')}`,
  ];
  if (!impact.available) lines.push(`impact      not available (${impact.reason})`);
  else if (impact.status !== 'MEASURED' || !impact.uplift) lines.push(`impact      insufficient sample: ${impact.reason ?? ''}`);
  else {
    lines.push(
      `impact      treated ${impact.treated.customers} (${impact.treated.outcomes} closed) vs control ${impact.control.customers} (${impact.control.outcomes} closed)`,
      `            uplift ${interval(impact.uplift, pct)} at ${pct(impact.confidence)}${impact.pValue !== null ? ` · p = ${impact.pValue.toPrecision(2)}` : ''}`,
    );
    if (impact.revenueProtected) lines.push(`            revenue protected ${interval(impact.revenueProtected, euros)}`);
    if (impact.sampleRatio?.flagged) lines.push(`            sample-ratio mismatch flagged (p = ${impact.sampleRatio.pValue.toPrecision(2)})`);
  }
  lines.push(
    `truth       the playbook cut closures by ${pct(truth.averageEffectOnTreated)} on average for the ${truth.treated} customers it reached (${Object.entries(truth.effectBySegment).map(([s, e]) => `${s} ${pct(e.averageEffect)}`).join(', ')})`,
  );
  if (report.trueEffectOnArm !== null && report.impact.available) {
    lines.push(`            on the treated arm as assigned (${truth.treated} of ${report.impact.treated.customers} reached): ${pct(report.trueEffectOnArm)}, what the uplift estimates`);
  }
  if (report.intervalContainsTruth !== null) lines.push(`            the measured interval ${report.intervalContainsTruth ? 'contains' : 'misses'} the true effect`);
  return lines;
}
