import { TASK_ASSIGNED, type FsPubSub, type TaskAssignedEvent } from '../../common/pubsub';
import type { Task } from '../entities/task.entity';

/** Publishes `taskAssigned` for a task just committed (created, assigned or escalated). */
export function publishTaskAssigned(pubSub: Pick<FsPubSub, 'publish'> | undefined, task: Task, change: TaskAssignedEvent['change']): void {
  if (!pubSub) return;
  pubSub.publish(TASK_ASSIGNED, task.tenantId, {
    tenantId: task.tenantId,
    taskId: task.id,
    profileId: task.profileId,
    runId: task.runId,
    team: task.team,
    title: task.title,
    priority: task.priority,
    status: task.status,
    assignee: task.assignee,
    dueAt: task.dueAt?.toISOString() ?? null,
    escalatedAt: task.escalatedAt?.toISOString() ?? null,
    change,
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
  });
}
