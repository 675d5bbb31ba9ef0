// The baseline of the action queue benchmark (bench/actions.bench.ts): a plain BullMQ queue whose
// jobs mirror playbook steps, and a processor that does only the BullMQ part of taking a step.
import type { Job, Queue } from 'bullmq';

/** The baseline's queue: beside `playbook-step`, under the same prefix. */
export const NOOP_STEP = 'bench-noop-step';

/** A baseline job: a step of a pretend run, and the step to queue when it has run (null: the run ends). */
export interface NoopStepJob {
  runId: string;
  stepId: string;
  visit: number;
  then: string | null;
}

/** Queues the job's follow-up as the step runner queues a run's next step, and nothing else. */
export async function noopStep(queue: Pick<Queue<NoopStepJob>, 'addBulk'>, job: Pick<Job<NoopStepJob>, 'data'>): Promise<void> {
  const { runId, visit, then } = job.data;
  if (!then) return;
  // the options queuePlaybookSteps gives a step: one addBulk, a deterministic id, removed once completed
  await queue.addBulk([{ name: NOOP_STEP, data: { runId, stepId: then, visit: visit + 1, then: null }, opts: { jobId: `${runId}-${then}-${visit + 1}`, delay: 0, removeOnComplete: true } }]);
}
