import type { Worker } from 'bullmq';

import { fairShareFor } from '../../common/fair-share';
import { forkAcrossTenants } from '../../common/tenant-filter';
import { SWEEP_SCORES, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { startScheduledSweeper } from '../../common/scheduled-sweeper';
import { ActivityRepository } from '../entities/activity.repository';
import { pendingFollowUps, RiskScoreRepository, tenantsWithPendingFollowUps, type FollowUpCursor, type PendingFollowUp } from '../entities/risk-score.repository';
import { queueAlertFollowUps, queueTraitFollowUps } from '../services/score-follow-ups';

type SweepScoresJob = JobPayloads[typeof SWEEP_SCORES];

/** Id of the one job scheduler behind the score sweeper; upserting it again replaces it. */
export const SWEEP_SCORES_SCHEDULER = 'sweep-scores-every';

/** Scores per page, and pages per tenant, consumer and sweep: a sweep resends at most 10,000 of a tenant's per consumer. */
const SWEEP_PAGE_SIZE = 500;
const SWEEP_MAX_PAGES = 20;

/**
 * Queues again the follow-ups of scores that were news and whose consumer has not acknowledged
 * them within `SWEEP_GRACE_MS` (their marker still set: the process died before queueing them, or
 * the job was lost from Redis after), per consumer: `raise-alerts` for `followUpPendingSince`
 * (actions keys an alert on rule + score, so a batch evaluated twice never alerts twice), and
 * `set-computed-traits` for `traitsPendingSince`, with each profile's newest churn score (a resent
 * old crossing must not overwrite a newer bucket), acknowledging the pending ones. Job ids carry
 * `swept<period>` (one per grace period), so the resend runs even while the first job is still
 * kept as completed. The markers are cleared by the consumers' acknowledgements
 * (`score-follow-ups-done`), never here. One read of the tenants with work per consumer, then per
 * tenant and page two reads (three for traits) and one add. Returns how many scores it resent.
 *
 * `riskChanged` is not published again: it is a live notification to the subscribers connected
 * at that moment (a subscriber that was not connected misses it as well), the score history is
 * the record of the change, and a copy minutes late would read as a new change. The alert and the
 * profile's risk trait are the durable effects of a change; those are what the sweeper restores.
 */
export async function sweepScores(
  deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'config' | 'log' | 'redis'>,
  now = new Date(),
  { pageSize = SWEEP_PAGE_SIZE, maxPages = SWEEP_MAX_PAGES }: { pageSize?: number; maxPages?: number } = {},
): Promise<number> {
  const grace = deps.config.ingest.sweepGraceMs;
  const cutoff = new Date(now.getTime() - grace);
  const resend = `swept${grace > 0 ? Math.floor(now.getTime() / grace) : now.getTime()}`;
  // the sweeper crosses tenants on purpose: one read for all of them
  const em = forkAcrossTenants(deps.orm);
  const fair = fairShareFor(deps);
  let total = 0;
  for (const consumer of ['alerts', 'traits'] as const) {
    // tenant by tenant, each at most `maxPages` pages a sweep: a tenant with a large backlog
    // never holds up the others' resends (their jobs then interleave by fair share)
    for (const tenantId of await tenantsWithPendingFollowUps(em, consumer, cutoff)) {
      let after: FollowUpCursor | null = null;
      for (let page = 0; page < maxPages; page++) {
        const scores: PendingFollowUp[] = await pendingFollowUps(em, tenantId, consumer, cutoff, pageSize, after);
        if (scores.length === 0) break;
        const profileIds = scores.map((c) => c.score.profileId);
        if (consumer === 'alerts') {
          const segments = await new ActivityRepository(em, tenantId).currentSegments(profileIds);
          const news = scores.map((c) => ({ ...c, segmentIds: segments.get(c.score.profileId) ?? [] }));
          await queueAlertFollowUps(deps.queues, fair, tenantId, news, { resend });
        } else {
          const heads = await new RiskScoreRepository(em, tenantId).headsOf(profileIds, 'churn');
          const newest = new Map(scores.map((c) => [c.score.profileId, heads.get(c.score.profileId) ?? c.score]));
          await queueTraitFollowUps(deps.queues, fair, tenantId, [...newest.values()], { resend, scoreIds: scores.map((c) => c.score.id) });
        }
        total += scores.length;
        if (scores.length < pageSize) break;
        const last = scores[scores.length - 1].score;
        after = { since: consumer === 'alerts' ? last.followUpPendingSince! : last.traitsPendingSince!, id: last.id };
      }
    }
  }
  if (total > 0) deps.log.warn({ count: total }, 'score sweeper resent follow-ups not acknowledged');
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
