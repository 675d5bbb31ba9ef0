import type { EntityManager } from '../../common/orm';
import { escalationOf } from '../domain/task-escalation';
import type { Task } from '../entities/task.entity';
import { TaskRepository } from '../entities/task.repository';

/** What one escalation job did. */
export type EscalationTaken =
  | { kind: 'escalated'; task: Task }
  /** Not due yet (a job run early): put it back until `dueAt`. */
  | { kind: 'early'; dueAt: Date }
  /** Done, gone, or escalated already: nothing to do. */
  | { kind: 'none' };

/** Escalates overdue tasks of one tenant, once each (safe to run twice). */
export class TaskEscalationService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  async escalate(taskId: string, now: Date): Promise<EscalationTaken> {
    const repo = new TaskRepository(this.em, this.tenantId);
    const task = await repo.find(taskId);
    if (!task) return { kind: 'none' };
    if (task.status === 'open' && task.escalatedAt === null && task.dueAt && task.dueAt > now) return { kind: 'early', dueAt: task.dueAt };
    const escalation = escalationOf(task, now);
    if (!escalation || !(await repo.escalate(task.id, escalation, now))) return { kind: 'none' };
    return { kind: 'escalated', task: Object.assign(task, { ...escalation, escalatedAt: now, updatedAt: now }) };
  }
}
