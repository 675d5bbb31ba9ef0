import type { Queue } from 'bullmq';

import type { EscalateTaskJob } from '../../common/queues';

/** One task whose escalation to queue, due at `dueAt`. */
export interface EscalationToQueue extends EscalateTaskJob {
  dueAt: Date;
}

/** The deterministic id of a task's escalation job: queueing it twice is a no-op. */
export function escalateTaskJobId(taskId: string): string {
  return `${taskId}-escalate`;
}

/**
 * Queues escalations, one `addBulk` for all, delayed until each task is due. A job is removed once
 * completed; the reconciler queues one again only for a task still open, overdue and not escalated.
 */
export async function queueTaskEscalations(queue: Pick<Queue<EscalateTaskJob>, 'addBulk'>, tasks: readonly EscalationToQueue[], now: Date): Promise<void> {
  if (tasks.length === 0) return;
  await queue.addBulk(
    tasks.map(({ dueAt, ...job }) => ({
      name: 'escalate-task',
      data: job,
      opts: { jobId: escalateTaskJobId(job.taskId), delay: Math.max(0, dueAt.getTime() - now.getTime()), removeOnComplete: true },
    })),
  );
}
