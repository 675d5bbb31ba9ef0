import type { FilterQuery } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import type { Escalation } from '../domain/task-escalation';
import { Task, type TaskStatusName } from './task.entity';

/** An overdue open task, as the reconciler queues its escalation. */
export interface OverdueTask {
  tenantId: string;
  taskId: string;
  dueAt: Date;
}

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

  /** The task a source key names (a playbook step's visit), read past the identity map. */
  bySourceKey(sourceKey: string): Promise<Task | null> {
    return this.em.findOne(Task, { tenantId: this.tenantId, sourceKey }, { disableIdentityMap: true });
  }

  /** Escalates a task once: only while it is open and not escalated (compare-and-set). */
  async escalate(id: string, escalation: Escalation, now: Date): Promise<boolean> {
    const changed = await this.em.nativeUpdate(Task, { tenantId: this.tenantId, id, status: 'open', escalatedAt: null }, { priority: escalation.priority, team: escalation.team, escalatedAt: now, updatedAt: now });
    return changed === 1;
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

/**
 * Open, not yet escalated tasks of every tenant due at or before `now`, oldest due first, after
 * `after` (keyset paging on (due_at, id)). `em` must read across tenants. One SELECT.
 */
export async function overdueAcrossTenants(em: EntityManager, now: Date, limit: number, after: OverdueTask | null): Promise<OverdueTask[]> {
  const page = after ? { $or: [{ dueAt: { $gt: after.dueAt, $lte: now } }, { dueAt: after.dueAt, id: { $gt: after.taskId } }] } : { dueAt: { $lte: now } };
  const rows = await em.find(Task, { status: 'open', escalatedAt: null, ...page }, { orderBy: { dueAt: 'asc', id: 'asc' }, limit, fields: ['tenantId', 'dueAt'], disableIdentityMap: true });
  return rows.map((r) => ({ tenantId: r.tenantId, taskId: r.id, dueAt: r.dueAt! }));
}
