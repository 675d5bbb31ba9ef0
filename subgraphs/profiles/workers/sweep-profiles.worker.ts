import type { Worker } from 'bullmq';

import { SWEEP_PROFILES, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { startScheduledSweeper } from '../../common/scheduled-sweeper';
import { forkAcrossTenants } from '../../common/tenant-filter';
import { Profile } from '../entities/profile.entity';
import { resendPendingSegmentChanges } from '../services/segment-alerts-sweep';
import { queueSegmentEvaluation } from '../services/segment-evaluations';

type SweepProfilesJob = JobPayloads[typeof SWEEP_PROFILES];
type SweepProfilesDeps = Pick<SubgraphDeps, 'orm' | 'queues' | 'redis' | 'config' | 'log'>;

/** Id of the one job scheduler behind the profiles sweeper; upserting it again replaces it. */
export const SWEEP_PROFILES_SCHEDULER = 'sweep-profiles-every';

/**
 * Profiles per re-queued `evaluate-segments` job, and most jobs per tenant and sweep: a tenant with
 * a large backlog gets at most 10,000 profiles re-queued a sweep, the rest the next, and never
 * holds up the other tenants' sweep.
 */
export const SWEEP_PROFILES_PAGE = 500;
const SWEEP_PROFILES_MAX_PAGES = 20;

/**
 * Queues `evaluate-segments` again for every profile whose evaluation has been owed longer than
 * `SWEEP_GRACE_MS` (`Profile.segmentsPendingSince`: its job was lost to a Redis flush, or died
 * with its retries), tenant by tenant: one read of the tenants, then per tenant pages of
 * `SWEEP_PROFILES_PAGE` profiles, each one fair-ordered job (the tenants' jobs interleave by
 * fair share, see `FairShare`). Job ids `<tenantId>-segments-swept<period>-<digest>`, one per grace
 * period, so a sweep repeated inside it queues nothing new while a later one tries again. The
 * evaluation clears the marker; the sweeper writes nothing. Then resends the segment entries and
 * exits whose hand-off to actions' alert rules is owed (`resendPendingSegmentChanges`). Returns
 * how many profiles it queued.
 */
export async function sweepProfiles(deps: SweepProfilesDeps, now = new Date()): Promise<number> {
  const grace = deps.config.ingest.sweepGraceMs;
  const cutoff = new Date(now.getTime() - grace);
  const period = grace > 0 ? Math.floor(now.getTime() / grace) : now.getTime();
  // the sweeper crosses tenants on purpose: one read of who has work
  const profiles = forkAcrossTenants(deps.orm).getRepository(Profile);
  let total = 0;
  for (const tenantId of await profiles.tenantsWithSegmentsPending(cutoff)) {
    let after: string | null = null;
    for (let page = 0; page < SWEEP_PROFILES_MAX_PAGES; page++) {
      const ids: string[] = await profiles.segmentsPendingOf(tenantId, cutoff, after, SWEEP_PROFILES_PAGE);
      if (ids.length === 0) break;
      await queueSegmentEvaluation(deps, { tenantId, profileIds: ids }, `swept${period}`);
      total += ids.length;
      after = ids[ids.length - 1];
      if (ids.length < SWEEP_PROFILES_PAGE) break;
    }
  }
  if (total > 0) deps.log.warn({ count: total }, 'profiles sweeper queued segment evaluations left owed');
  const changes = await resendPendingSegmentChanges(forkAcrossTenants(deps.orm), deps.queues, grace, now);
  if (changes > 0) deps.log.warn({ count: changes }, 'profiles sweeper resent segment changes whose alert rules were not evaluated');
  return total;
}

/** The sweeper: SWEEP_PROFILES every `SWEEP_INTERVAL_MS`, self-healing (see `startScheduledSweeper`). */
export function startSweepProfilesWorker(deps: SubgraphDeps): Promise<Worker<SweepProfilesJob>> {
  return startScheduledSweeper(deps, {
    queue: SWEEP_PROFILES,
    schedulerId: SWEEP_PROFILES_SCHEDULER,
    everyMs: deps.config.ingest.sweepIntervalMs,
    run: () => sweepProfiles(deps),
  });
}
