import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import { decodeAlertCursor } from '../domain/alert-cursor';
import { Alert, AlertStatus, type AlertOutcome } from '../entities/alert.entity';
import { AlertRepository, type AlertListFilter } from '../entities/alert.repository';

/** Tenant-scoped alert reads and the alert lifecycle: open → acknowledged → resolved. */
export class AlertService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A page of alerts, newest first; `after` is the `cursor` of the last alert of the previous page. */
  list(filter: AlertListFilter, first: number, after?: string | null): Promise<Alert[]> {
    const afterId = after ? decodeAlertCursor(after) : null;
    if (after && !afterId) throw new AppError('BAD_USER_INPUT', 'after: not a cursor of this list', { field: 'after' });
    return new AlertRepository(this.em, this.tenantId).page(filter, first, afterId);
  }

  /** Marks an alert as seen. Acknowledging twice keeps the first time; a resolved alert stays resolved. */
  async acknowledge(id: string): Promise<Alert> {
    const alert = await this.find(id);
    if (alert.status === AlertStatus.OPEN) {
      alert.status = AlertStatus.ACKNOWLEDGED;
      alert.acknowledgedAt = this.now();
      await this.em.flush();
    }
    return alert;
  }

  /**
   * Gives an alert to a person (and, when given, moves it to another team's inbox). Assigning the
   * same person again keeps the first time; a resolved alert cannot be reassigned.
   */
  async assign(id: string, assignee: string, team?: string | null): Promise<Alert> {
    const alert = await this.find(id);
    if (alert.status === AlertStatus.RESOLVED) throw new AppError('CONFLICT', `alert ${id} is resolved`, { field: 'id' });
    const person = assignee.trim();
    if (alert.assignee !== person) {
      alert.assignee = person;
      alert.assignedAt = this.now();
    }
    if (team) alert.team = team.trim();
    await this.em.flush();
    return alert;
  }

  /**
   * Closes an alert with its outcome. Resolving again with the same outcome and note changes
   * nothing (a retried request); with a different one it is a conflict.
   */
  async resolve(id: string, outcome: AlertOutcome, note?: string | null): Promise<Alert> {
    const alert = await this.find(id);
    const text = note?.trim() || null;
    if (alert.status === AlertStatus.RESOLVED) {
      if (alert.outcome === outcome && alert.note === text) return alert;
      throw new AppError('CONFLICT', `alert ${id} is already resolved as ${alert.outcome}`, { field: 'outcome' });
    }
    const now = this.now();
    alert.status = AlertStatus.RESOLVED;
    alert.outcome = outcome;
    alert.note = text;
    alert.resolvedAt = now;
    alert.acknowledgedAt ??= now;
    await this.em.flush();
    return alert;
  }

  private async find(id: string): Promise<Alert> {
    const alert = await this.em.findOne(Alert, { tenantId: this.tenantId, id });
    if (!alert) throw new AppError('NOT_FOUND', `alert ${id} not found`, { field: 'id' });
    return alert;
  }
}
