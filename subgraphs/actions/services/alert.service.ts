import { AppError } from '../../common/errors';
import { insertOnce, type EntityManager } from '../../common/orm';
import type { JobPayloads, RAISE_ALERTS } from '../../common/queues';
import { describeCrossing, shouldAlertOnCrossing } from '../domain/alert-rule';
import { Alert, AlertStatus } from '../entities/alert.entity';

/** Tenant-scoped alert reads, idempotent creation and acknowledgement. */
export class AlertService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  list(filter: { profileId?: string; status?: AlertStatus | null; first: number }): Promise<Alert[]> {
    return this.em.find(
      Alert,
      {
        tenantId: this.tenantId,
        ...(filter.profileId ? { profileId: filter.profileId } : {}),
        ...(filter.status ? { status: filter.status } : {}),
      },
      { orderBy: { createdAt: 'desc', id: 'desc' }, limit: filter.first },
    );
  }

  /** Raises an alert for a crossing into High; a replay of the same score finds the stored alert. */
  async raiseForCrossing(job: JobPayloads[typeof RAISE_ALERTS]): Promise<Alert | null> {
    if (!shouldAlertOnCrossing(job)) return null;
    const sourceKey = `risk-${job.scoreId}`;
    return insertOnce(
      this.em,
      Alert,
      {
        tenantId: this.tenantId,
        profileId: job.profileId,
        type: 'risk_high',
        score: job.score,
        message: describeCrossing(job),
        sourceKey,
      },
      ['tenantId', 'sourceKey'],
    );
  }

  /** Marks an alert as seen. Acknowledging twice keeps the first time. */
  async acknowledge(id: string): Promise<Alert> {
    const alert = await this.em.findOne(Alert, { tenantId: this.tenantId, id });
    if (!alert) throw new AppError('NOT_FOUND', `alert ${id} not found`);
    if (alert.status !== AlertStatus.ACKNOWLEDGED) {
      alert.status = AlertStatus.ACKNOWLEDGED;
      alert.acknowledgedAt = new Date();
      await this.em.flush();
    }
    return alert;
  }
}
