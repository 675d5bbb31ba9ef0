import { insertOnce, type EntityManager } from '../../common/orm';
import { DeliveryReport } from './delivery-report.entity';

/** Delivery reports of one tenant (see `DeliveryReport`). */
export class DeliveryReportRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * Stores the report, pending, unless this (message, status) is stored already (insert-or-ignore):
   * the report as first stored, which a provider's re-send leaves as it was.
   */
  recordOnce(report: { deliveryId: string; status: string; reason: string | null; occurredAt: Date }, now: Date): Promise<DeliveryReport> {
    return insertOnce(this.em, DeliveryReport, { tenantId: this.tenantId, ...report, pendingSince: now }, ['tenantId', 'deliveryId', 'status']);
  }

  /** The reports on these ledger rows, oldest first (one SELECT on the (tenant, message, status) key). */
  forDeliveries(deliveryIds: readonly string[]): Promise<DeliveryReport[]> {
    if (deliveryIds.length === 0) return Promise.resolve([]);
    return this.em.find(DeliveryReport, { tenantId: this.tenantId, deliveryId: { $in: [...new Set(deliveryIds)] } }, { orderBy: { occurredAt: 'asc', id: 'asc' } });
  }

  /** The report's event is in the stream: its hand-off is done (one UPDATE). */
  recorded(deliveryId: string, status: string): Promise<number> {
    return this.em.nativeUpdate(DeliveryReport, { tenantId: this.tenantId, deliveryId, status, pendingSince: { $ne: null } }, { pendingSince: null });
  }
}

/** Reports of every tenant pending since before `cutoff`, oldest id first after `after`; for the reconciler. */
export function pendingDeliveryReportsAcrossTenants(em: EntityManager, cutoff: Date, limit: number, after: string | null): Promise<DeliveryReport[]> {
  return em.find(DeliveryReport, { pendingSince: { $lt: cutoff }, ...(after ? { id: { $gt: after } } : {}) }, { orderBy: { id: 'asc' }, limit, disableIdentityMap: true });
}
