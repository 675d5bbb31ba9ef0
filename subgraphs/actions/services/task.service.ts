import type { Queue } from 'bullmq';
import { uuidv7 } from 'uuidv7';

import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import type { FsPubSub } from '../../common/pubsub';
import type { EscalateTaskJob } from '../../common/queues';
import { decodeAlertCursor } from '../domain/alert-cursor';
import { TASK_PRIORITIES } from '../domain/playbook';
import { Task } from '../entities/task.entity';
import { TaskRepository, type TaskListFilter } from '../entities/task.repository';
import { publishTaskAssigned } from './publish-task';
import { queueTaskEscalations } from './queue-task-escalations';

/** A task as the `createTask` mutation sends it. */
export interface TaskDraft {
  profileId: string;
  team: string;
  title: string;
  priority?: string | null;
  dueAt?: Date | null;
  assignee?: string | null;
}

/** Human tasks of one tenant: open → done, with an assignee. */
export class TaskService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly now: () => Date = () => new Date(),
    /** Where a task with a due time queues its escalation; absent: the reconciler escalates it once overdue. */
    private readonly escalations?: Pick<Queue<EscalateTaskJob>, 'addBulk'>,
    /** Where `taskAssigned` is published; absent: nothing is. */
    private readonly pubSub?: Pick<FsPubSub, 'publish'>,
  ) {}

  /** A page of tasks, newest first; `after` is the `cursor` of the last task of the previous page. */
  list(filter: TaskListFilter, first: number, after?: string | null): Promise<Task[]> {
    const afterId = after ? decodeAlertCursor(after) : null;
    if (after && !afterId) throw new AppError('BAD_USER_INPUT', 'after: not a cursor of this list', { field: 'after' });
    return new TaskRepository(this.em, this.tenantId).page(filter, first, afterId);
  }

  async create(draft: TaskDraft): Promise<Task> {
    const team = draft.team.trim();
    const title = draft.title.trim();
    const priority = (draft.priority ?? 'normal').toLowerCase();
    if (team.length < 1 || team.length > 100) throw new AppError('BAD_USER_INPUT', 'input.team: must be 1–100 characters', { field: 'input.team' });
    if (title.length < 1 || title.length > 500) throw new AppError('BAD_USER_INPUT', 'input.title: must be 1–500 characters', { field: 'input.title' });
    if (!(TASK_PRIORITIES as readonly string[]).includes(priority)) throw new AppError('BAD_USER_INPUT', `input.priority: must be one of ${TASK_PRIORITIES.join(', ')}`, { field: 'input.priority' });
    const now = this.now();
    const task = this.em.create(Task, { id: uuidv7(), tenantId: this.tenantId, profileId: draft.profileId, team, title, priority, dueAt: draft.dueAt ?? null, assignee: draft.assignee?.trim() || null, sourceKey: `api:${uuidv7()}`, createdAt: now, updatedAt: now });
    await this.em.flush();
    if (task.dueAt && this.escalations) await queueTaskEscalations(this.escalations, [{ tenantId: this.tenantId, taskId: task.id, dueAt: task.dueAt }], now);
    publishTaskAssigned(this.pubSub, task, 'created');
    return task;
  }

  /** Gives a task to someone. A done task cannot be reassigned. */
  async assign(id: string, assignee: string): Promise<Task> {
    const task = await this.find(id);
    if (task.status === 'done') throw new AppError('CONFLICT', `task ${id} is done`, { field: 'taskId' });
    task.assignee = assignee.trim();
    await this.em.flush();
    publishTaskAssigned(this.pubSub, task, 'assigned');
    return task;
  }

  /** Closes a task with its outcome. The same call again changes nothing; a different outcome is a CONFLICT. */
  async complete(id: string, outcome: string, note?: string | null): Promise<Task> {
    const task = await this.find(id);
    const text = note?.trim() || null;
    if (task.status === 'done') {
      if (task.outcome === outcome && task.note === text) return task;
      throw new AppError('CONFLICT', `task ${id} is already done as ${task.outcome}`, { field: 'outcome' });
    }
    task.status = 'done';
    task.outcome = outcome;
    task.note = text;
    task.completedAt = this.now();
    await this.em.flush();
    return task;
  }

  private async find(id: string): Promise<Task> {
    const task = await new TaskRepository(this.em, this.tenantId).find(id);
    if (!task) throw new AppError('NOT_FOUND', `task ${id} not found`, { field: 'taskId' });
    return task;
  }
}
