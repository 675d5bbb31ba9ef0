import { insertOnce, type EntityManager } from '../../common/orm';
import { Signal } from '../entities/signal.entity';

export interface ListSignalsOptions {
  types?: string[] | null;
  since?: Date | null;
  first: number;
}

/** Tenant-scoped reads and idempotent writes of friction signals. */
export class SignalService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  listFor(profileId: string, { types, since, first }: ListSignalsOptions): Promise<Signal[]> {
    return this.em.find(
      Signal,
      {
        tenantId: this.tenantId,
        profileId,
        ...(types?.length ? { type: { $in: types } } : {}),
        ...(since ? { detectedAt: { $gte: since } } : {}),
      },
      { orderBy: { detectedAt: 'desc', id: 'desc' }, limit: first },
    );
  }

  /** Stores a signal once per dedupe key; a replay returns the stored row. */
  async record(data: Pick<Signal, 'profileId' | 'type' | 'severity' | 'detectedAt' | 'evidence' | 'dedupeKey'>): Promise<Signal> {
    return insertOnce(this.em, Signal, { tenantId: this.tenantId, ...data }, ['tenantId', 'dedupeKey']);
  }
}
