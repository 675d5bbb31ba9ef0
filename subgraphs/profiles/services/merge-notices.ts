import { PROFILE_MERGED_QUEUES, type Queues } from '../../common/queues';

/**
 * Tells every subgraph that keeps rows per profile (signals, actions) about a resolve job's merges:
 * one `addBulk` per consumer queue, job id `<tenantId>-merge-<mergedProfileId>`, so a replayed job
 * queues nothing new. (Risk hears of merges through `record-activity`.)
 */
export async function sendMergeNotices(
  queues: Queues,
  tenantId: string,
  merges: readonly { profileId: string; mergedProfileId: string }[],
): Promise<void> {
  if (!merges.length) return;
  await Promise.all(
    PROFILE_MERGED_QUEUES.map((name) =>
      queues.get(name).addBulk(
        merges.map(({ profileId, mergedProfileId }) => ({
          name,
          data: { tenantId, profileId, mergedProfileId },
          opts: { jobId: `${tenantId}-merge-${mergedProfileId}` },
        })),
      ),
    ),
  );
}
