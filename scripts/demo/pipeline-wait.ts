import type { DemoApi } from './demo-api';

export interface DrainOptions {
  /** Longest wait, in ms. */
  timeoutMs: number;
  /** Told the tenant's pending events at each look (for a progress bar). */
  onPending?: (pending: number) => void;
  /** Time between looks, in ms. Default 250. */
  everyMs?: number;
}

/**
 * Waits until the tenant's events have been through every stage of the pipeline, as
 * `pipelineStatus` says (caught up, nothing pending). Returns false when `timeoutMs` passed first.
 */
export async function waitForPipeline(api: DemoApi, opts: DrainOptions): Promise<boolean> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const backlog = await api.backlog().catch(() => null); // a look that fails (a busy service) is not an answer
    if (backlog) opts.onPending?.(backlog.pending);
    if (backlog?.caughtUp && backlog.pending === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 250));
  }
}

/** The stages still holding the tenant's work, e.g. `RISK 12, ALERTS 3`, for a message. */
export async function pendingStages(api: DemoApi): Promise<string> {
  const answer = await api.gql<{ pipelineStatus: { tenants: { stages: { stage: string; pendingEvents: number; oldestWaitingAgeMs: number | null }[] }[] } }>(
    `query { pipelineStatus { tenants { stages { stage pendingEvents oldestWaitingAgeMs } } } }`,
  ).catch((err: Error) => err);
  if (answer instanceof Error) return `pipelineStatus failed: ${answer.message}`;
  const stages = answer.pipelineStatus.tenants[0]?.stages ?? [];
  return stages.filter((s) => s.pendingEvents > 0).map((s) => `${s.stage} ${s.pendingEvents}`).join(', ') || 'none pending';
}

/**
 * Waits until no playbook run has a step queued or running (`runs(status: "active")` is empty):
 * the sends of the runs just enrolled are done. Returns false when `timeoutMs` passed first.
 */
export async function waitForRunsToSettle(api: DemoApi, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await api.gql<{ runs: { id: string }[] }>(`query { runs(filter: { status: "active" }, first: 1) { id } }`).catch(() => null);
    if (answer?.runs.length === 0) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}
