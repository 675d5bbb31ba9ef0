import { EntityRepository } from '@mikro-orm/knex';

import type { JourneyDefinition } from './journey-definition.entity';
import { JourneyEvent } from './journey-event.entity';
import { JourneyInstance } from './journey-instance.entity';
import { JourneyStepTime } from './journey-step.entity';

/** Journey definitions; a delete takes the definition's instances, step times and matched events with it. */
export class JourneyDefinitionRepository extends EntityRepository<JourneyDefinition> {
  /** Every definition of the tenant, by name. */
  allOf(tenantId: string): Promise<JourneyDefinition[]> {
    return this.find({ tenantId }, { orderBy: { name: 'asc' } });
  }

  /** Deletes a definition with everything recorded under it, in one transaction. Signals already recorded stay. */
  async deleteWithInstances(tenantId: string, definitionId: string): Promise<void> {
    await this.getEntityManager().transactional(async (em) => {
      const where = { tenantId, definitionId };
      await em.nativeDelete(JourneyStepTime, where);
      await em.nativeDelete(JourneyEvent, where);
      await em.nativeDelete(JourneyInstance, where);
      await em.nativeDelete(this.entityName, { tenantId, id: definitionId });
    });
  }
}
