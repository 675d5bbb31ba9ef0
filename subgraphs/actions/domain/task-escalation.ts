import { TASK_PRIORITIES, type TaskPriorityName } from './playbook';

/** A task as escalation reads it. */
export interface EscalatableTask {
  status: string;
  priority: string;
  team: string;
  dueAt: Date | null;
  escalatedAt: Date | null;
  /** The team an overdue task moves to; null: it stays with its team. */
  escalationTeam: string | null;
}

/** What escalating a task changes. */
export interface Escalation {
  priority: TaskPriorityName;
  team: string;
}

/** One priority up (`urgent` stays `urgent`); an unknown priority becomes `high`. */
export function raisePriority(priority: string): TaskPriorityName {
  const i = (TASK_PRIORITIES as readonly string[]).indexOf(priority);
  if (i < 0) return 'high';
  return TASK_PRIORITIES[Math.min(i + 1, TASK_PRIORITIES.length - 1)];
}

/**
 * The escalation of a task at `now`, or null: only an open task with a due time at or before
 * `now` that was not escalated yet escalates (once): one priority up, and to its escalation team.
 */
export function escalationOf(task: EscalatableTask, now: Date): Escalation | null {
  if (task.status !== 'open' || task.escalatedAt !== null || task.dueAt === null || task.dueAt > now) return null;
  return { priority: raisePriority(task.priority), team: task.escalationTeam ?? task.team };
}
