import { EntityRepository } from '@mikro-orm/knex';

import type { JourneyEvent } from './journey-event.entity';
import type { JourneyScope } from './journey-instance.repository';

/** The events a journey matched, per (definition, profile): what a replay reads. */
export class JourneyEventRepository extends EntityRepository<JourneyEvent> {
  /** Stores a matched event unless it is stored already (a replay of the same event). */
  async recordOnce(row: JourneyEvent): Promise<void> {
    await this.upsert(row, { onConflictFields: ['tenantId', 'definitionId', 'eventId'], onConflictAction: 'ignore' });
  }

  /** Up to `limit` matched events of the scope at or after `from`, in time order, re-read. */
  from(scope: JourneyScope, from: Date, limit: number): Promise<JourneyEvent[]> {
    return this.find({ ...scope, timestamp: { $gte: from } }, { orderBy: { timestamp: 'asc', eventId: 'asc' }, limit, refresh: true });
  }
}
