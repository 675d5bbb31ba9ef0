import type { Queue } from 'bullmq';

import { playbookStepJobId, type PlaybookStepJob } from '../../common/queues';

/** One step to queue: the run, the (step, visit), and when it is due. */
export interface StepToQueue extends PlaybookStepJob {
  dueAt: Date;
}

/**
 * Queues steps, one `addBulk` for all: a step due later is a delayed job. The job id is
 * deterministic, so a step whose job still exists (waiting, delayed, retrying, running) is not
 * queued twice; a step job is removed once completed, so a step the reconciler finds due again
 * gets a new job under the same id.
 */
export async function queuePlaybookSteps(queue: Pick<Queue<PlaybookStepJob>, 'addBulk'>, steps: readonly StepToQueue[], now: Date): Promise<void> {
  if (steps.length === 0) return;
  await queue.addBulk(
    steps.map(({ dueAt, ...job }) => ({
      name: 'playbook-step',
      data: job,
      opts: { jobId: playbookStepJobId(job), delay: Math.max(0, dueAt.getTime() - now.getTime()), removeOnComplete: true },
    })),
  );
}
