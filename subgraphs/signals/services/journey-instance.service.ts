import { AppError } from '../../common/errors';
import { isUuid } from '../../common/ids';
import type { EntityManager } from '../../common/orm';
import type { JourneyState } from '../domain/journeys/progress';
import { JourneyDefinition } from '../entities/journey-definition.entity';
import { JourneyInstance } from '../entities/journey-instance.entity';

export interface ListJourneysOptions {
  definitionId?: string | null;
  state?: JourneyState | null;
  first: number;
}

/** Reads of one tenant's journey instances, as the API lists them. */
export class JourneyInstanceService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  instance(id: string): Promise<JourneyInstance | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.em.findOne(JourneyInstance, { tenantId: this.tenantId, id });
  }

  /** Instances of the tenant, most recently started first. */
  list({ definitionId, state, first }: ListJourneysOptions): Promise<JourneyInstance[]> {
    if (definitionId && !isUuid(definitionId)) return Promise.resolve([]);
    return this.em.find(
      JourneyInstance,
      { tenantId: this.tenantId, ...(definitionId ? { definitionId } : {}), ...(state ? { state } : {}) },
      { orderBy: { startedAt: 'desc', id: 'desc' }, limit: first },
    );
  }

  /** A profile's latest `first` instances, most recently started first. */
  listForProfile(profileId: string, first: number): Promise<JourneyInstance[]> {
    if (!isUuid(profileId)) return Promise.resolve([]);
    return this.em.find(JourneyInstance, { tenantId: this.tenantId, profileId }, { orderBy: { startedAt: 'desc', id: 'desc' }, limit: first });
  }

  /** The definition of an instance (by primary key, so the identity map serves repeats). */
  async definitionOf(instance: Pick<JourneyInstance, 'definitionId'>): Promise<JourneyDefinition> {
    const def = await this.em.findOne(JourneyDefinition, instance.definitionId);
    if (!def || def.tenantId !== this.tenantId) throw new AppError('NOT_FOUND', `no journey definition ${instance.definitionId}`);
    return def;
  }
}
