import { raw } from '@mikro-orm/core';

import type { EntityManager } from '../../common/orm';
import { planSignalMove, rekeyForSurvivor } from '../domain/merges/signal-move';
import { Event } from './event.entity';
import { JourneyEvent } from './journey-event.entity';
import { JourneyInstance } from './journey-instance.entity';
import { Signal } from './signal.entity';

/** Ids per `IN` list, well under SQLite's and PostgreSQL's bound-parameter limits. */
const IDS_PER_STATEMENT = 400;

/** Rows moved by one merge, per table. */
export interface RepointedRows {
  events: number;
  signals: number;
  /** Signals dropped because the survivor already had the same friction. */
  signalsDropped: number;
  journeyInstances: number;
  journeyEvents: number;
}

/** Moves everything signals holds under a merged-away profile to its survivor. */
export class ProfileMergeRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * In one transaction, one UPDATE per table: events, journey instances, journey events and
   * signals of `mergedProfileId` move to `survivorProfileId`; signals take the survivor's dedupe
   * key, and one the survivor already has is dropped (`planSignalMove`: the survivor's row is
   * kept). Idempotent: a replay finds nothing left under the merged id.
   */
  repoint(mergedProfileId: string, survivorProfileId: string): Promise<RepointedRows> {
    const tenantId = this.tenantId;
    const from = { tenantId, profileId: mergedProfileId };
    return this.em.transactional(async (tx) => {
      const signals: { id: string; dedupeKey: string }[] = await tx.createQueryBuilder(Signal).select(['id', 'dedupeKey']).where(from).execute('all', true);
      const wanted = signals.map((s) => rekeyForSurvivor(s.dedupeKey, mergedProfileId, survivorProfileId));
      const taken = new Set<string>();
      for (const chunk of chunks(wanted, IDS_PER_STATEMENT)) {
        const rows: { dedupeKey: string }[] = await tx
          .createQueryBuilder(Signal)
          .select(['dedupeKey'])
          .where({ tenantId, dedupeKey: { $in: chunk } })
          .execute('all', true);
        for (const row of rows) taken.add(row.dedupeKey);
      }
      const plan = planSignalMove(signals, mergedProfileId, survivorProfileId, taken);
      for (const chunk of chunks(plan.dropped, IDS_PER_STATEMENT)) await tx.nativeDelete(Signal, { tenantId, id: { $in: chunk } });
      const movedSignals = plan.moved.length
        ? await tx
            .createQueryBuilder(Signal)
            .update({ profileId: survivorProfileId, dedupeKey: raw('replace(dedupe_key, ?, ?)', [mergedProfileId, survivorProfileId]) } as never)
            .where(from)
            .execute('run')
        : { affectedRows: 0 };
      const to = { profileId: survivorProfileId };
      return {
        events: await tx.nativeUpdate(Event, from, to),
        signals: movedSignals.affectedRows,
        signalsDropped: plan.dropped.length,
        journeyInstances: await tx.nativeUpdate(JourneyInstance, from, to),
        journeyEvents: await tx.nativeUpdate(JourneyEvent, from, to),
      };
    });
  }
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
