import { DemoApiError, type DemoApi } from './demo-api';
import type { TrainedModel } from './models';
import type { GroundTruthReport } from './simulator/bank-simulator';

/** A value with its interval (the `ImpactEstimate` of the API). */
export interface Estimate {
  value: number;
  low: number;
  high: number;
}

/** `playbookImpact` as the demo reads it, or why it could not. */
export type ImpactSection =
  | { available: false; reason: string }
  | {
      available: true;
      status: 'MEASURED' | 'INSUFFICIENT_SAMPLE';
      reason: string | null;
      confidence: number;
      treated: { customers: number; outcomes: number; rate: Estimate | null };
      control: { customers: number; outcomes: number; rate: Estimate | null };
      uplift: Estimate | null;
      relativeLift: Estimate | null;
      pValue: number | null;
      customersRetained: Estimate | null;
      meanClv: number | null;
      revenueProtected: Estimate | null;
      sampleRatio: { pValue: number; flagged: boolean } | null;
    };

export interface PostedCounts {
  sent: number;
  accepted: number;
  duplicates: number;
  refused: number;
}

/** Everything the demo shows at the end; also written as `.data/demo/report.json`. */
export interface DemoReport {
  options: { seed: number; customers: number; historyWeeks: number; liveWeeks: number };
  wallSeconds: number;
  phases: { name: string; seconds: number }[];
  events: { history: PostedCounts; live: PostedCounts };
  pipelineCaughtUp: boolean;
  models: {
    churn: { id: string; status: string; active: boolean; forcedBecause: string | null; error: string | null; rocAuc: number | null; prAuc: number | null; brier: number | null; positives: number | null; rows: number | null; calibration: { meanPredicted: number; observedRate: number; count: number }[] };
    lifetime: { id: string; status: string; active: boolean; error: string | null; customersUsed: number | null; repeatBuyers: number | null };
  };
  signals: { total: number; byType: Record<string, number> };
  alerts: { total: number; byDemoRule: number };
  actions: { runs: number; emailsReceived: number; smsReceived: number; tasks: number };
  /** Customers at each stage of the live loop: active → alerted → enrolled → emailed → SMS → task. */
  funnel: { stage: string; count: number }[];
  impact: ImpactSection;
  truth: GroundTruthReport;
  /** The true effect on the treated arm as assigned (see trueEffectOnArm); null without impact. */
  trueEffectOnArm: number | null;
  /** Whether the measured uplift's interval contains `trueEffectOnArm`; null without a measurement. */
  intervalContainsTruth: boolean | null;
}

const IMPACT_QUERY = /* GraphQL */ `
  query($id: ID!) {
    playbookImpact(id: $id) {
      status reason confidence pValue meanClv
      treated { customers outcomes rate { value low high } }
      control { customers outcomes rate { value low high } }
      uplift { value low high }
      relativeLift { value low high }
      customersRetained { value low high }
      revenueProtected { value low high }
      sampleRatio { pValue flagged }
    }
  }
`;

/** Reads the playbook's measured impact; a failing query (e.g. not deployed yet) becomes the reason. */
export async function readImpact(api: DemoApi, playbookId: string): Promise<ImpactSection> {
  try {
    const { playbookImpact } = await api.gql<{ playbookImpact: Omit<Extract<ImpactSection, { available: true }>, 'available'> }>(IMPACT_QUERY, { id: playbookId });
    return { available: true, ...playbookImpact };
  } catch (err) {
    if (!(err instanceof DemoApiError)) throw err;
    const missing = /Cannot query field "playbookImpact"|playbookImpact/.test(err.message) && /Cannot query|Unknown|not exist/i.test(err.message);
    return { available: false, reason: missing ? 'playbookImpact missing' : err.message };
  }
}

/** Reads every page of a cursor-paginated list field (`first`/`after`, items with `cursor`). */
async function readAll<T extends { cursor: string }>(api: DemoApi, field: string, args: string, selection: string): Promise<T[]> {
  const items: T[] = [];
  let after: string | null = null;
  for (;;) {
    const data: Record<string, T[]> = await api.gql(`query($after: String) { ${field}(${args ? `${args}, ` : ''}first: 500, after: $after) { cursor ${selection} } }`, { after });
    const page = data[field];
    items.push(...page);
    if (page.length < 500) return items;
    after = page[page.length - 1].cursor;
  }
}

/** Counts the tenant's friction signals by type (the connection has no total: it pages through). */
export async function countSignals(api: DemoApi): Promise<{ total: number; byType: Record<string, number> }> {
  const byType: Record<string, number> = {};
  let total = 0;
  let after: string | null = null;
  for (;;) {
    const { signals }: { signals: { edges: { node: { type: string } }[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } } } = await api.gql(
      `query($after: String) { signals(first: 200, after: $after) { edges { node { type } } pageInfo { hasNextPage endCursor } } }`,
      { after },
    );
    for (const { node } of signals.edges) {
      byType[node.type] = (byType[node.type] ?? 0) + 1;
      total++;
    }
    if (!signals.pageInfo.hasNextPage || !signals.pageInfo.endCursor) return { total, byType };
    after = signals.pageInfo.endCursor;
  }
}

/** Alerts, playbook runs and tasks of the tenant, as the report counts them. */
export async function countActions(api: DemoApi, ruleId: string): Promise<{ alerts: number; byDemoRule: Set<string>; runProfiles: Set<string>; tasks: Set<string> }> {
  const alerts = await readAll<{ cursor: string; profileId: string; ruleId: string | null }>(api, 'alerts', '', 'profileId ruleId');
  const runs = await readAll<{ cursor: string; profileId: string }>(api, 'runs', '', 'profileId');
  const tasks = await readAll<{ cursor: string; profileId: string }>(api, 'tasks', '', 'profileId');
  return {
    alerts: alerts.length,
    byDemoRule: new Set(alerts.filter((a) => a.ruleId === ruleId).map((a) => a.profileId)),
    runProfiles: new Set(runs.map((r) => r.profileId)),
    tasks: new Set(tasks.map((t) => t.profileId)),
  };
}

/** The churn model's section of the report, from its `metrics`. */
export function churnModelSection(model: TrainedModel): DemoReport['models']['churn'] {
  const holdout = (model.metrics?.holdout ?? {}) as Record<string, any>;
  const calibration = Array.isArray(holdout.calibration) ? (holdout.calibration as { meanPredicted: number; observedRate: number; count: number }[]) : [];
  return {
    id: model.id,
    status: model.status,
    active: model.active,
    forcedBecause: model.forcedBecause,
    error: model.error,
    rocAuc: numberOr(holdout.rocAuc),
    prAuc: numberOr(holdout.prAuc),
    brier: numberOr(holdout.brier),
    positives: numberOr(model.metrics?.positives),
    rows: numberOr(model.metrics?.rows),
    calibration: calibration.filter((b) => b.count > 0).map((b) => ({ meanPredicted: b.meanPredicted, observedRate: b.observedRate, count: b.count })),
  };
}

/** The lifetime model's section of the report. */
export function lifetimeModelSection(model: TrainedModel): DemoReport['models']['lifetime'] {
  return {
    id: model.id,
    status: model.status,
    active: model.active,
    error: model.error,
    customersUsed: numberOr(model.metrics?.customersUsed),
    repeatBuyers: numberOr(model.metrics?.repeatBuyers ?? model.metrics?.bgNbd?.repeatBuyers),
  };
}

/** Whether the measured uplift's interval holds the simulator's true effect (null when not measured). */
/**
 * The true effect the measurement estimates. `playbookImpact` compares the arms as assigned
 * (intention to treat): a customer of the treated arm whom the email never reached (a guardrail
 * skipped the send, the run ended first) got no effect but counts in the arm. So the comparator
 * is the simulator's effect on those reached, times the share of the arm they are. On a quiet
 * machine every enrolled customer is reached and the two agree; on a loaded one they do not.
 */
export function trueEffectOnArm(impact: ImpactSection, truth: GroundTruthReport): number | null {
  if (!impact.available || impact.treated.customers === 0) return null;
  return truth.averageEffectOnTreated * Math.min(1, truth.treated / impact.treated.customers);
}

export function containsTruth(impact: ImpactSection, truth: GroundTruthReport): boolean | null {
  const target = trueEffectOnArm(impact, truth);
  if (!impact.available || impact.status !== 'MEASURED' || !impact.uplift || target === null) return null;
  return impact.uplift.low <= target && target <= impact.uplift.high;
}

function numberOr(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
