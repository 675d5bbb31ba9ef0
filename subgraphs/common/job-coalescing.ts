import { UnrecoverableError, type Job, type Worker } from 'bullmq';

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
}

/** Takes the jobs waiting behind `first`, up to the limits; none when the queue is empty. */
export async function takeWaitingJobs<T>(
  worker: Pick<Worker<T>, 'getNextJob'>,
  token: string,
  first: Pick<Job<T>, 'data'>,
  limits: CoalescingLimits<T>,
): Promise<Job<T>[]> {
  const taken: Job<T>[] = [];
  let items = safeItems(limits, first.data);
  while (taken.length + 1 < limits.maxJobs && items < limits.maxItems) {
    const next = (await worker.getNextJob(token, { block: false })) as Job<T> | undefined;
    if (!next) break;
    taken.push(next);
    items += safeItems(limits, next.data);
  }
  return taken;
}

/**
 * Completes (no `error`) or fails the jobs taken by hand. A failure is retried per the job's own
 * attempts, unless it is an `UnrecoverableError`.
 */
export async function settleTakenJobs<T>(jobs: readonly Job<T>[], token: string, error?: Error): Promise<void> {
  for (const job of jobs) {
    if (error) await job.moveToFailed(error, token, false);
    else await job.moveToCompleted(undefined, token, false);
  }
}

/** Fails one taken job for good (its payload cannot be processed). */
export async function dropTakenJob<T>(job: Job<T>, token: string, reason: string): Promise<void> {
  await job.moveToFailed(new UnrecoverableError(reason), token, false);
}

function safeItems<T>(limits: CoalescingLimits<T>, data: T): number {
  try {
    return Math.max(1, limits.itemsOf(data));
  } catch {
    return 1;
  }
}
