import DataLoader from 'dataloader';

import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import { decodeAlertCursor } from '../domain/alert-cursor';
import type { DeliveryReport } from '../entities/delivery-report.entity';
import { DeliveryReportRepository } from '../entities/delivery-report.repository';
import type { StepDelivery } from '../entities/step-delivery.entity';
import { StepDeliveryRepository, type LedgerFilterFields } from '../entities/step-delivery.repository';

/**
 * The delivery ledger of a profile (`Profile.actions`), with what each message's provider reported
 * after the send. One instance per request: the reports of a page of entries are one SELECT.
 */
export class DeliveryLedgerService {
  private readonly reportsLoader: DataLoader<string, DeliveryReport[]>;

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {
    this.reportsLoader = new DataLoader(async (deliveryIds) => {
      const rows = await new DeliveryReportRepository(this.em, this.tenantId).forDeliveries(deliveryIds);
      return deliveryIds.map((id) => rows.filter((r) => r.deliveryId === id));
    });
  }

  list(profileId: string, first: number, after?: string | null): Promise<StepDelivery[]> {
    return new StepDeliveryRepository(this.em, this.tenantId).pageFor(profileId, first, afterIdOf(after));
  }

  /** A page of the tenant's whole ledger, newest first (`ledger`): paged with `after` to export it. */
  listAll(filter: LedgerFilterFields, first: number, after?: string | null): Promise<StepDelivery[]> {
    if (filter.from && filter.to && filter.from >= filter.to) throw new AppError('BAD_USER_INPUT', 'filter.to: must be after filter.from', { field: 'filter.to' });
    return new StepDeliveryRepository(this.em, this.tenantId).page(filter, first, afterIdOf(after));
  }

  /** The provider's reports on one ledger entry (delivered, bounced, complained), oldest first. */
  reportsOn(deliveryId: string): Promise<DeliveryReport[]> {
    return this.reportsLoader.load(deliveryId);
  }
}

/** The row id a ledger cursor names; BAD_USER_INPUT for a string that is not one. */
function afterIdOf(after: string | null | undefined): string | null {
  if (!after) return null;
  const id = decodeAlertCursor(after);
  if (!id) throw new AppError('BAD_USER_INPUT', 'after: not a cursor of this list', { field: 'after' });
  return id;
}
