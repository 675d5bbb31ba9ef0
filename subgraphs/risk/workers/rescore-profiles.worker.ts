import { Worker, type Job } from 'bullmq';

import { RESCORE_PROFILES, SCORE_PROFILE, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkAcrossTenants } from '../../common/tenant-filter';
import { ActivityEvent } from '../entities/activity-event.entity';
import { RiskScore } from '../entities/risk-score.entity';

type RescoreProfilesJob = JobPayloads[typeof RESCORE_PROFILES];

/** Profiles per `score-profile` job the schedule queues (each job scores its page set-based). */
export const RESCORE_PAGE = 200;

/** Id of the one job scheduler behind the periodic re-score. */
export const RESCORE_SCHEDULER = 'rescore-profiles-every';

/**
 * One tick: per tenant, queue `score-profile` (a job per page of `RESCORE_PAGE`) for profiles not scored since
 * `config.risk.rescoreAfterMs` (never-scored ones included), at most `rescoreMaxProfiles`.
 * Features like "days since last purchase" grow with silence, so a score must age out even
 * when nothing happens. Job ids carry the tick, so an overlapping tick queues nothing twice.
 */
export async function rescoreProfiles(
  _job: Pick<Job<RescoreProfilesJob>, 'id'> | null,
  deps: Pick<SubgraphDeps, 'orm' | 'queues' | 'config' | 'log'>,
  now = new Date(),
): Promise<number> {
  const em = forkAcrossTenants(deps.orm);
  const { rescoreAfterMs, rescoreMaxProfiles, rescoreIntervalMs } = deps.config.risk;
  const cutoff = new Date(now.getTime() - rescoreAfterMs);
  const tick = Math.floor(now.getTime() / rescoreIntervalMs);
  const tenants: { tenantId?: string; tenant_id?: string }[] = await em.createQueryBuilder(ActivityEvent).select('tenantId', true).execute('all', false);
  let queued = 0;
  for (const t of tenants) {
    const tenantId = (t.tenantId ?? t.tenant_id) as string;
    const fresh = em.createQueryBuilder(RiskScore, 's').select('s.profileId').where({ tenantId, kind: 'churn', scoredAt: { $gte: cutoff } });
    const stale: { profileId?: string; profile_id?: string }[] = await em
      .createQueryBuilder(ActivityEvent, 'e')
      .select('e.profileId', true)
      .where({ tenantId, profileId: { $nin: fresh.getKnexQuery() } })
      .orderBy({ profileId: 'asc' })
      .limit(rescoreMaxProfiles)
      .execute('all', false);
    const profileIds = stale.map((row) => (row.profileId ?? row.profile_id) as string);
    // one set-based score job per page of profiles, not one per profile
    for (let i = 0; i < profileIds.length; i += RESCORE_PAGE) {
      const page = profileIds.slice(i, i + RESCORE_PAGE);
      await deps.queues
        .get(SCORE_PROFILE)
        .add(SCORE_PROFILE, { tenantId, profileId: page[0], profileIds: page, reason: 'schedule' }, { jobId: `${tenantId}-rescore${tick}-${page[0]}-${page.at(-1)}` });
      queued += page.length;
    }
  }
  if (queued) deps.log.info({ queued }, 'scheduled re-score queued profiles');
  return queued;
}

/** Upserts the job scheduler (every `config.risk.rescoreIntervalMs`) and starts its worker (concurrency 1). */
export async function startRescoreProfilesWorker(deps: SubgraphDeps): Promise<Worker<RescoreProfilesJob>> {
  await deps.queues
    .get(RESCORE_PROFILES)
    .upsertJobScheduler(
      RESCORE_SCHEDULER,
      { every: deps.config.risk.rescoreIntervalMs },
      { name: RESCORE_PROFILES, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  const worker = new Worker<RescoreProfilesJob>(
    RESCORE_PROFILES,
    async (job) => void (await rescoreProfiles(job, deps)),
    workerOptions(deps.redis, deps.config.queuePrefix, 1),
  );
  worker.on('error', (err) => deps.log.error({ err }, 'rescore-profiles worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
