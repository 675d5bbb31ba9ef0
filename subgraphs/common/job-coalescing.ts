import { UnrecoverableError, Worker, type Job } from 'bullmq';

import type { PipelineStage } from './pipeline-stages';
import { workerOptions, type QueueName } from './queues';
import type { SubgraphDeps } from './run-subgraph';
import { SharedStageTracker } from './shared-stage';
import { meterCompletedJobs, meterTakenJobs } from './stage-meter';

/**
 * Coalescing of waiting jobs into one pass of a batch stage.
 *
 * A stage job carries what one upstream request or job produced: under a steady trickle of small
 * requests that is ten events, and the stage's fixed cost per job (its reads, its hand-off, the
 * queue round trips) is paid per ten events. When jobs are waiting anyway, the worker that takes
 * one also takes the next ones, in the queue's own order (fair-share priorities, so a tenant gets
 * no more than its share here either), and handles them in one pass: the busier the stage, the
 * larger its batches, and the cost per event falls toward the cost in a drain. When nothing is
 * waiting, a job runs alone, as before.
 *
 * The extra jobs are fetched with BullMQ's manual API (`Worker.getNextJob` without blocking) under
 * the token of the job being processed, and are completed or failed by hand once the pass is done;
 * a failed pass fails each of them with the pass's error, so each is retried under its own
 * attempts and backoff. A process that dies mid-pass leaves them active with a lock that expires:
 * BullMQ's stalled check puts them back, and every stage is idempotent.
 */

export interface CoalescingLimits<T> {
  /** Most jobs in one pass, the first included. */
  maxJobs: number;
  /** Most items (events) in one pass; the job that would go past it is still taken, then taking stops. */
  maxItems: number;
  itemsOf: (data: T) => number;
  /**
   * Most items in one pass while the stage is shared by more than one tenant or lane
   * (`SharedStageTracker`); `maxItems` when absent. A running pass cannot be interrupted, so its
   * length bounds how long another tenant's job waits in this stage.
   */
  sharedMaxItems?: number;
}

/** Takes the jobs waiting behind `first`, up to the limits; none when the queue is empty. */
export async function takeWaitingJobs<T>(
  worker: Pick<Worker<T>, 'getNextJob'>,
  token: string,
  first: Pick<Job<T>, 'data'>,
  limits: CoalescingLimits<T>,
): Promise<Job<T>[]> {
  const taken: Job<T>[] = [];
  let items = itemsIn(limits.itemsOf, first.data);
  while (taken.length + 1 < limits.maxJobs && items < limits.maxItems) {
    const next = (await worker.getNextJob(token, { block: false })) as Job<T> | undefined;
    if (!next) break;
    taken.push(next);
    items += itemsIn(limits.itemsOf, next.data);
  }
  return taken;
}

/**
 * Completes (no `error`) or fails the jobs taken by hand. A failure is retried per the job's own
 * attempts, unless it is an `UnrecoverableError`. A job that cannot be settled (its lock ran out
 * during a long pass and BullMQ's stalled check put it back, or Redis failed the call) is left to
 * BullMQ: it runs again, which every stage's idempotence makes harmless, and it must not fail the
 * pass, whose own first job would be retried with another job's error. Returns the jobs settled.
 */
export async function settleTakenJobs<T>(jobs: readonly Job<T>[], token: string, error?: Error): Promise<Job<T>[]> {
  const settled: Job<T>[] = [];
  for (const job of jobs) {
    try {
      if (error) await job.moveToFailed(error, token, false);
      else await job.moveToCompleted(undefined, token, false);
      settled.push(job);
    } catch {
      // left to BullMQ (see above)
    }
  }
  return settled;
}

/** Fails one taken job for good (its payload cannot be processed). */
export async function dropTakenJob<T>(job: Job<T>, token: string, reason: string): Promise<void> {
  await job.moveToFailed(new UnrecoverableError(reason), token, false);
}

/** Items of one job per `itemsOf`; 1 when it throws or gives no positive number. */
function itemsIn<T>(itemsOf: (data: T) => number, data: T): number {
  try {
    const items = itemsOf(data);
    return Number.isFinite(items) && items > 0 ? Math.max(1, items) : 1;
  } catch {
    return 1;
  }
}

/** How one stage reads, groups and runs the jobs of a coalesced pass. */
export interface CoalescedPass<T, B> {
  /** The job's payload as the stage's batch, or why it is malformed. */
  parse(job: Pick<Job<T>, 'data' | 'id'>): B | { malformed: string };
  /** Batches with one key run together (e.g. tenant and lane), in queue order. */
  groupKey(batch: B): string;
  /** Runs the batches of one group as one; `id` names the pass (the first job's id, `+n` for the others). */
  runGroup(batches: B[], id: string): Promise<void>;
  /** The job alone, as when nothing waited behind it; it throws the stage's own error for a malformed payload. */
  runAlone(job: Pick<Job<T>, 'data' | 'id'>): Promise<void>;
}

/**
 * Runs `first` together with the jobs taken behind it: the batches grouped by `groupKey`, one
 * `runGroup` per group. A malformed extra job fails alone, for good; a malformed first job runs
 * alone (and fails), its extras put back for another try.
 *
 * Groups run smallest first (`weigh`, items per job; ties keep queue order), and each group's
 * taken jobs are settled as soon as it has run: a tenant with a few events does not wait behind
 * the flood of another that happens to share its pass, and its jobs are done when its own work
 * is. A failed group fails its own jobs only (each is retried on its own attempts; a retry
 * replays what was done, which changes nothing), and the other groups still run; the pass
 * throws only when the first job's group failed, so that job is retried too.
 * Returns the extra jobs it completed.
 */
export async function runCoalescedPass<T, B>(
  first: Pick<Job<T>, 'data' | 'id'>,
  extra: readonly Job<T>[],
  token: string,
  pass: CoalescedPass<T, B>,
  weigh: (data: T) => number = () => 1,
): Promise<Job<T>[]> {
  const firstBatch = extra.length ? pass.parse(first) : null;
  if (firstBatch === null || isMalformed(firstBatch)) {
    if (extra.length) await settleTakenJobs(extra, token, new Error('taken with a malformed job; tried again'));
    await pass.runAlone(first);
    return [];
  }
  interface Group {
    batches: B[];
    ids: string[];
    /** the taken jobs of the group (the first job is BullMQ's to settle) */
    taken: Job<T>[];
    items: number;
    holdsFirst: boolean;
  }
  const groups = new Map<string, Group>();
  const add = (batch: B, data: T, id: string, job: Job<T> | null) => {
    const key = pass.groupKey(batch);
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { batches: [], ids: [], taken: [], items: 0, holdsFirst: false }));
    group.batches.push(batch);
    group.ids.push(id);
    group.items += itemsIn(weigh, data);
    if (job) group.taken.push(job);
    else group.holdsFirst = true;
  };
  add(firstBatch, first.data, String(first.id), null);
  for (const job of extra) {
    const batch = pass.parse(job);
    if (isMalformed(batch)) await dropTakenJob(job, token, batch.malformed);
    else add(batch, job.data, String(job.id), job);
  }
  const completed: Job<T>[] = [];
  let firstGroupError: unknown = null;
  // Array.prototype.sort is stable: groups of equal size keep the order of the queue
  for (const group of [...groups.values()].sort((a, b) => a.items - b.items)) {
    const { batches, ids, taken } = group;
    try {
      await pass.runGroup(batches, ids.length === 1 ? ids[0] : `${ids[0]}+${ids.length - 1}`);
    } catch (err) {
      await settleTakenJobs(taken, token, err as Error);
      if (group.holdsFirst) firstGroupError = err;
      continue;
    }
    completed.push(...(await settleTakenJobs(taken, token)));
  }
  if (firstGroupError !== null) throw firstGroupError;
  return completed;
}

function isMalformed<B>(batch: B | { malformed: string }): batch is { malformed: string } {
  return typeof batch === 'object' && batch !== null && typeof (batch as { malformed?: unknown }).malformed === 'string';
}

export interface CoalescingWorker<T extends { tenantId: string }, B> {
  queue: QueueName;
  concurrency: number;
  limits: CoalescingLimits<T>;
  pass: CoalescedPass<T, B>;
  /** The stage meter: what a job counts as (events, profiles); none when the stage is not metered. */
  meter?: { stage: PipelineStage; unitsOf: (data: T) => number };
}

/**
 * A worker of a batch stage that coalesces: each job it is given takes the jobs waiting behind it
 * (`takeWaitingJobs`) into one `runCoalescedPass`. Jobs completed by hand emit no 'completed'
 * event, so it meters them itself.
 */
export function startCoalescingWorker<T extends { tenantId: string }, B>(deps: SubgraphDeps, spec: CoalescingWorker<T, B>): Worker<T> {
  const { queue, concurrency, limits, pass, meter } = spec;
  const tenants = new SharedStageTracker();
  const worker: Worker<T> = new Worker<T>(
    queue,
    async (job, token) => {
      tenants.saw(laneKeyOf(job.data), Date.now());
      const shared = limits.sharedMaxItems !== undefined && tenants.isShared(Date.now());
      const passLimits = shared ? { ...limits, maxItems: Math.min(limits.maxItems, limits.sharedMaxItems!) } : limits;
      const extra = token ? await takeWaitingJobs(worker, token, job, passLimits) : [];
      for (const taken of extra) tenants.saw(laneKeyOf(taken.data), Date.now());
      const done = await runCoalescedPass(job, extra, token ?? '', pass, limits.itemsOf);
      // jobs completed by hand emit no 'completed' event: meter them here (units, wait and run)
      if (meter) await meterTakenJobs(deps, meter.stage, done, meter.unitsOf);
    },
    workerOptions(deps.redis, deps.config.queuePrefix, concurrency),
  );
  worker.on('error', (err) => deps.log.error({ err }, `${queue} worker error`));
  if (meter) meterCompletedJobs(worker, deps, meter.stage, meter.unitsOf);
  deps.shutdown.defer(() => worker.close());
  return worker;
}

/** The tenant and lane a stage job belongs to (a job without a lane is live). */
function laneKeyOf(data: { tenantId: string }): string {
  const lane = (data as { lane?: unknown }).lane;
  return `${String(data.tenantId)}\u0000${lane === 'history' ? 'history' : 'live'}`;
}
