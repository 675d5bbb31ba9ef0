import type { Queue } from 'bullmq';

import type { EntityManager } from '../../common/orm';
import { RECORD_ACTIVITY, type RecordActivityBatch, type RecordActivityJob } from '../../common/queues';
import type { FrictionFinding } from '../domain/friction/finding';
import type { JourneyDefinition } from '../entities/journey-definition.entity';
import type { JourneyInstance } from '../entities/journey-instance.entity';
import { Signal } from '../entities/signal.entity';

/** A journey instance's state as the risk stage learns it (`record-activity`, kind `journey`). */
export type JourneySnapshotJob = Extract<RecordActivityJob, { kind: 'journey' }>;

/** The `record-activity` producer journey snapshots go to. */
export type JourneySnapshotQueue = Pick<Queue<RecordActivityJob | RecordActivityBatch>, 'addBulk'>;

/**
 * Which snapshots of an instance to send:
 * - `history`: every (state, step) its row still shows: active at each reached step, then stalled
 *   at the current step (while marked), completed or abandoned. After an event-driven replay,
 *   so steps passed by events processed together or out of order, or by a job that died after its
 *   commit, are still sent.
 * - `current`: only the time-based states at the current step (stalled, abandoned), after a sweep.
 */
export type JourneySnapshotScope = 'history' | 'current';

/**
 * Job id of a snapshot: one per instance, state and step (what the risk side's journey_snapshot
 * row is unique on), so queueing the same state again is a no-op.
 */
export function journeySnapshotJobId(s: Pick<JourneySnapshotJob, 'tenantId' | 'instanceId' | 'state' | 'stepIndex'>): string {
  return `${s.tenantId}-journey-${s.instanceId}-${s.state}-${s.stepIndex}`;
}

/**
 * The snapshots of one instance as its row stands, oldest first. `observedAt` is when the state
 * began: the step's event time for `active`, the deadline for `stalled` (`stalledAt`) and
 * `abandoned` (`abandonedAt`), the completion event's time for `completed`; so a snapshot first
 * sent late (or again) says the same thing. `retries` counts the retry loops in `loopTimes`
 * detected at or before `observedAt`. Steps the definition no longer has are left out.
 */
export function journeySnapshots(
  tenantId: string,
  instance: JourneyInstance,
  def: JourneyDefinition,
  loopTimes: readonly Date[],
  scope: JourneySnapshotScope,
): JourneySnapshotJob[] {
  const reached = new Map(instance.stepTimes.map((s) => [s.key, new Date(s.reachedAt)]));
  const snapshot = (state: JourneySnapshotJob['state'], key: string, observedAt: Date, endedAt: Date | null): JourneySnapshotJob | null => {
    const index = def.steps.findIndex((s) => s.key === key);
    if (index < 0) return null;
    return {
      kind: 'journey',
      tenantId,
      profileId: instance.profileId,
      instanceId: instance.id,
      journeyId: def.id,
      journeyName: def.name,
      state,
      stepIndex: index,
      stepCount: def.steps.length,
      step: key,
      stepReachedAt: (reached.get(key) ?? instance.startedAt).toISOString(),
      stepSlaMs: def.steps[index].slaMs ?? null,
      startedAt: instance.startedAt.toISOString(),
      retries: loopTimes.filter((t) => t <= observedAt).length,
      endedAt: endedAt?.toISOString() ?? null,
      observedAt: observedAt.toISOString(),
    };
  };
  const out: (JourneySnapshotJob | null)[] = [];
  if (scope === 'history') {
    for (const s of instance.stepTimes) {
      // reaching the completion step completes the instance: it was never active there
      if (instance.state === 'completed' && s.key === instance.currentStep) continue;
      out.push(snapshot('active', s.key, new Date(s.reachedAt), null));
    }
  }
  if (instance.stalledStep && instance.stalledStep === instance.currentStep && instance.stalledAt) {
    out.push(snapshot('stalled', instance.currentStep, instance.stalledAt, null));
  }
  if (scope === 'history' && instance.state === 'completed' && instance.completedAt) {
    out.push(snapshot('completed', instance.currentStep, instance.completedAt, instance.completedAt));
  }
  if (instance.state === 'abandoned' && instance.abandonedAt) {
    out.push(snapshot('abandoned', instance.currentStep, instance.abandonedAt, instance.abandonedAt));
  }
  return out.filter((s): s is JourneySnapshotJob => s !== null);
}

/**
 * Queues `record-activity` journey snapshots of `instances` (see `journeySnapshots`), in one
 * round trip. Call it after the change is committed: the job ids make a replay queue nothing new.
 * Retry loops are read with one query over the instances' profiles (the signal table's
 * (tenant, profile, detectedAt) index); `unrecorded` adds retry-loop findings not stored yet (an
 * advance queues before its caller records what it found), merged by dedupe key. Instances of a
 * definition missing from `definitions` (deleted) are skipped. Returns how many jobs were sent
 * (existing ids included).
 */
export async function queueJourneySnapshots(
  queue: JourneySnapshotQueue,
  em: EntityManager,
  tenantId: string,
  instances: readonly JourneyInstance[],
  definitions: ReadonlyMap<string, JourneyDefinition>,
  { scope, unrecorded = [] }: { scope: JourneySnapshotScope; unrecorded?: readonly FrictionFinding[] },
): Promise<number> {
  const known = instances.filter((i) => definitions.has(i.definitionId));
  if (!known.length) return 0;
  const ids = [...new Set(known.map((i) => i.id))];
  const loops = await em.find(
    Signal,
    { tenantId, profileId: { $in: [...new Set(known.map((i) => i.profileId))] }, type: 'retry_loop', journeyInstanceId: { $in: ids } },
    { fields: ['journeyInstanceId', 'detectedAt', 'dedupeKey'], disableIdentityMap: true },
  );
  const loopsOf = new Map<string, Map<string, Date>>();
  for (const loop of [...loops, ...unrecorded.filter((f) => f.type === 'retry_loop')]) {
    if (!loop.journeyInstanceId) continue;
    const byKey = loopsOf.get(loop.journeyInstanceId) ?? new Map<string, Date>();
    byKey.set(loop.dedupeKey, loop.detectedAt);
    loopsOf.set(loop.journeyInstanceId, byKey);
  }
  const jobs = known.flatMap((i) => journeySnapshots(tenantId, i, definitions.get(i.definitionId)!, [...(loopsOf.get(i.id)?.values() ?? [])], scope));
  if (!jobs.length) return 0;
  await queue.addBulk(jobs.map((data) => ({ name: RECORD_ACTIVITY, data, opts: { jobId: journeySnapshotJobId(data) } })));
  return jobs.length;
}
