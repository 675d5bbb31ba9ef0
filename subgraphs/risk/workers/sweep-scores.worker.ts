import type { Worker } from 'bullmq';

import { fairShareFor } from '../../common/fair-share';
import { forkAcrossTenants } from '../../common/tenant-filter';
import { SWEEP_SCORES, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { startScheduledSweeper } from '../../common/scheduled-sweeper';
import { pendingFollowUps, RiskScoreRepository, type PendingFollowUp } from '../entities/risk-score.repository';
import { ActivityRepository } from '../entities/activity.repository';
import { queueScoreFollowUps } from '../services/score-follow-ups';

type SweepScoresJob = JobPayloads[typeof SWEEP_SCORES];

/** Id of the one job scheduler behind the score sweeper; upserting it again replaces it. */
export const SWEEP_SCORES_SCHEDULER = 'sweep-scores-every';

/** Scores per page, and pages per sweep: a sweep follows up at most 10,000 crossings. */
const SWEEP_PAGE_SIZE = 500;
const SWEEP_MAX_PAGES = 20;

/**
 * Queues the follow-ups (alert rules; churn buckets for computed traits) of scores that were news
 * and whose process died between storing them and queueing those (their marker older than
 * `SWEEP_GRACE_MS`); actions keys an alert on rule + score, so a batch queued twice never alerts
 * twice. Then clears their markers. Per page: three reads, one add per queue and tenant, one
 * UPDATE per tenant. Returns how many it queued.
 *
 * `riskChanged` is not published again: it is a live notification to the subscribers connected
 * at that moment (a subscriber that was not connected misses it as well), the score history is
 * the record of the change, and a copy minutes late would read as a new change. The alert and the
 * profile's risk trait are the durable effects of a change; those are what the sweeper restores.
 */
export async function sweepScores(deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'config' | 'log' | 'redis'>, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - deps.config.ingest.sweepGraceMs);
  // the sweeper crosses tenants on purpose: one read for all of them
  const em = forkAcrossTenants(deps.orm);
  let total = 0;
  for (let page = 0; page < SWEEP_MAX_PAGES; page++) {
    const pending = await pendingFollowUps(em, cutoff, SWEEP_PAGE_SIZE);
    const byTenant = new Map<string, PendingFollowUp[]>();
    for (const p of pending) byTenant.set(p.score.tenantId, [...(byTenant.get(p.score.tenantId) ?? []), p]);
    for (const [tenantId, crossings] of byTenant) {
      const segments = await new ActivityRepository(em, tenantId).currentSegments(crossings.map((c) => c.score.profileId));
      const news = crossings.map((c) => ({ ...c, segmentIds: segments.get(c.score.profileId) ?? [] }));
      await queueScoreFollowUps(deps.queues, fairShareFor(deps), tenantId, news);
      await new RiskScoreRepository(em, tenantId).followedUp(crossings.map((c) => c.score.id));
    }
    total += pending.length;
    if (pending.length < SWEEP_PAGE_SIZE) break;
  }
  if (total > 0) deps.log.warn({ count: total }, 'score sweeper queued the follow-ups of crossings left unannounced');
  return total;
}

/** The score sweeper: SWEEP_SCORES every `SWEEP_INTERVAL_MS`, self-healing (see `startScheduledSweeper`). */
export function startSweepScoresWorker(deps: SubgraphDeps): Promise<Worker<SweepScoresJob>> {
  return startScheduledSweeper(deps, {
    queue: SWEEP_SCORES,
    schedulerId: SWEEP_SCORES_SCHEDULER,
    everyMs: deps.config.ingest.sweepIntervalMs,
    run: () => sweepScores(deps),
  });
}
