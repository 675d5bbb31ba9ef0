import { AppError } from '../../common/errors';
import type { EntityManager } from '../../common/orm';
import { decodeAlertCursor } from '../domain/alert-cursor';
import type { StepDelivery } from '../entities/step-delivery.entity';
import { StepDeliveryRepository } from '../entities/step-delivery.repository';

/** The delivery ledger of a profile (`Profile.actions`). */
export class DeliveryLedgerService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  list(profileId: string, first: number, after?: string | null): Promise<StepDelivery[]> {
    const afterId = after ? decodeAlertCursor(after) : null;
    if (after && !afterId) throw new AppError('BAD_USER_INPUT', 'after: not a cursor of this list', { field: 'after' });
    return new StepDeliveryRepository(this.em, this.tenantId).pageFor(profileId, first, afterId);
  }
}
