import type { FilterQuery } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import { Task, type TaskStatusName } from './task.entity';

/** Which tasks to list; every field given must hold. */
export interface TaskListFilter {
  status?: TaskStatusName | null;
  team?: string | null;
  assignee?: string | null;
  profileId?: string | null;
}

/** Human tasks of one tenant. */
export class TaskRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** Inserts a task unless its source key is stored already (a retried step creates one task). */
  async insertIgnoring(row: Task): Promise<void> {
    await this.em.upsert(Task, row, { onConflictFields: ['tenantId', 'sourceKey'], onConflictAction: 'ignore' });
  }

  find(id: string): Promise<Task | null> {
    return this.em.findOne(Task, { tenantId: this.tenantId, id });
  }

  /** A page of tasks, newest first (uuidv7 ids), after the task `afterId`. */
  page(filter: TaskListFilter, first: number, afterId: string | null): Promise<Task[]> {
    const where: FilterQuery<Task> = {
      tenantId: this.tenantId,
      ...(filter.status ? { status: filter.status } : {}),
      ...(filter.team ? { team: filter.team } : {}),
      ...(filter.assignee ? { assignee: filter.assignee } : {}),
      ...(filter.profileId ? { profileId: filter.profileId } : {}),
      ...(afterId ? { id: { $lt: afterId } } : {}),
    };
    return this.em.find(Task, where, { orderBy: { id: 'desc' }, limit: first });
  }
}
