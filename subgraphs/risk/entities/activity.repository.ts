import type { EntityManager } from '../../common/orm';
import type { ActivityPlan } from '../domain/activity-plan';
import { ActivityEvent } from './activity-event.entity';
import { ActivitySignal } from './activity-signal.entity';
import { insertIgnoring, ROWS_PER_INSERT, type InsertedRows } from './insert-ignoring';
import { JourneySnapshot } from './journey-snapshot.entity';
import { SegmentMember } from './segment-member.entity';

/** What `ActivityRepository.store` did to a plan's events, signals and snapshots (see `InsertedRows`). */
export interface StoredRowIds {
  events: InsertedRows;
  signals: InsertedRows;
  snapshots: InsertedRows;
}

/** Risk's copy of profiles' activity (events, signals, journey snapshots, segment stays), written set-based. */
export class ActivityRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * Stores a planned run: one multi-row insert-or-ignore per table (keyed on the source ids, so a
   * replay stores nothing twice), then one update per distinct exit time. Call inside a transaction.
   * Returns the row ids given to the plan's events, signals and snapshots (index by index), stored
   * or not, and what the inserts tell of which were: `newlyStored` tells the rest.
   */
  async store(plan: ActivityPlan): Promise<StoredRowIds> {
    const { em, tenantId } = this;
    const none: InsertedRows = { ids: [], inserted: [], unsure: [] };
    const ids: StoredRowIds = { events: none, signals: none, snapshots: none };
    if (plan.events.length) ids.events = await insertIgnoring(em, ActivityEvent, tenantId, plan.events as never, ['tenantId', 'eventId']);
    if (plan.signals.length) ids.signals = await insertIgnoring(em, ActivitySignal, tenantId, plan.signals as never, ['tenantId', 'signalId']);
    if (plan.snapshots.length) ids.snapshots = await insertIgnoring(em, JourneySnapshot, tenantId, plan.snapshots as never, ['tenantId', 'instanceId', 'state', 'stepIndex']);
    if (plan.memberships.length) await insertIgnoring(em, SegmentMember, tenantId, plan.memberships as never, ['tenantId', 'membershipId']);
    for (const [at, membershipIds] of plan.exits) {
      await em
        .createQueryBuilder(SegmentMember)
        .update({ exitedAt: new Date(at) })
        .where({ tenantId, membershipId: { $in: membershipIds }, exitedAt: null })
        .execute();
    }
    return ids;
  }

  /**
   * Which of the row ids `store` gave are stored: the rows this transaction inserted (a row
   * already stored under the source id kept its own id). A query per table only for statements
   * that inserted some of their rows but not all.
   */
  async newlyStored(ids: StoredRowIds): Promise<Set<string>> {
    const stored = new Set<string>([...ids.events.inserted, ...ids.signals.inserted, ...ids.snapshots.inserted]);
    const tables = [
      [ActivityEvent, ids.events.unsure],
      [ActivitySignal, ids.signals.unsure],
      [JourneySnapshot, ids.snapshots.unsure],
    ] as const;
    for (const [entity, rowIds] of tables) {
      for (let i = 0; i < rowIds.length; i += ROWS_PER_INSERT) {
        const rows: { id: string }[] = await this.em
          .createQueryBuilder(entity as typeof ActivityEvent)
          .select('id')
          .where({ tenantId: this.tenantId, id: { $in: rowIds.slice(i, i + ROWS_PER_INSERT) } })
          .execute('all', true);
        for (const r of rows) stored.add(r.id);
      }
    }
    return stored;
  }

  /** Segments each profile is in now (by risk's copy of membership), in one query. */
  async currentSegments(profileIds: readonly string[]): Promise<Map<string, string[]>> {
    const segments = new Map<string, string[]>(profileIds.map((id) => [id, []]));
    if (profileIds.length === 0) return segments;
    const rows: { profileId: string; segmentId: string }[] = await this.em
      .createQueryBuilder(SegmentMember)
      .select(['profileId', 'segmentId'])
      .where({ tenantId: this.tenantId, profileId: { $in: [...new Set(profileIds)] }, exitedAt: null })
      .execute('all', true);
    for (const r of rows) {
      const list = segments.get(r.profileId);
      if (list && !list.includes(r.segmentId)) list.push(r.segmentId);
    }
    return segments;
  }
}
