import { createHash } from 'node:crypto';

import { addFairly, fairShareFor } from '../../common/fair-share';
import { EVALUATE_SEGMENTS, type EvaluateSegmentsBatch } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import { Segment } from '../entities/segment.entity';

/**
 * Queues one `evaluate-segments` job for the profiles a batch touched, with the tenant's fair
 * priority in the batch's lane (see `FairShare`), as every stage hands work on. Its job id is
 * `<tenantId>-segments-<origin>-<digest of the sorted profile ids>`: `origin` names the producing
 * job, and the digest keeps a replay that touched the same profiles from queueing anything new,
 * while a retry that got further (more profiles) queues the rest.
 */
export async function queueSegmentEvaluation(
  deps: Pick<SubgraphDeps, 'queues' | 'redis' | 'config'>,
  batch: EvaluateSegmentsBatch,
  origin: string,
): Promise<void> {
  if (batch.profileIds.length === 0) return;
  const digest = createHash('sha1').update([...batch.profileIds].sort().join(',')).digest('hex').slice(0, 16);
  const jobId = `${batch.tenantId}-segments-${origin}-${digest}`;
  await addFairly(deps.queues.get(EVALUATE_SEGMENTS), fairShareFor(deps), [{ name: EVALUATE_SEGMENTS, data: batch, opts: { jobId } }], (b) => b.tenantId, batch.lane);
}

/**
 * `queueSegmentEvaluation` for the stages that change profiles (resolve, computed traits), but
 * only when the tenant has a segment: a tenant without one owes nothing (`markSegmentsPending`
 * wrote no marker, and a segment created later is backfilled over every profile), and the job
 * would only read that there is nothing to evaluate. One indexed probe instead of a job through
 * the queue and a worker, for every batch of a tenant that does not use segments. Checked at
 * queue time, after the marking transaction: a segment deleted in between leaves its markers to
 * the sweeper, which queues them whatever the tenant has now (its job clears them).
 */
export async function queueSegmentEvaluationIfSegments(
  deps: Pick<SubgraphDeps, 'queues' | 'redis' | 'config' | 'orm'>,
  batch: EvaluateSegmentsBatch,
  origin: string,
): Promise<void> {
  if (batch.profileIds.length === 0) return;
  if (!(await forkForTenant(deps.orm, batch.tenantId).getRepository(Segment).anyOf(batch.tenantId))) return;
  await queueSegmentEvaluation(deps, batch, origin);
}
