import type { EntityManager } from '../../common/orm';
import type { ActivityPlan } from '../domain/activity-plan';
import { ActivityEvent } from './activity-event.entity';
import { ActivitySignal } from './activity-signal.entity';
import { insertIgnoring } from './insert-ignoring';
import { JourneySnapshot } from './journey-snapshot.entity';
import { SegmentMember } from './segment-member.entity';

/** Risk's copy of profiles' activity (events, signals, journey snapshots, segment stays), written set-based. */
export class ActivityRepository {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /**
   * Stores a planned run: one multi-row insert-or-ignore per table (keyed on the source ids, so a
   * replay stores nothing twice), then one update per distinct exit time. Call inside a transaction.
   */
  async store(plan: ActivityPlan): Promise<void> {
    const { em, tenantId } = this;
    if (plan.events.length) await insertIgnoring(em, ActivityEvent, tenantId, plan.events as never, ['tenantId', 'eventId']);
    if (plan.signals.length) await insertIgnoring(em, ActivitySignal, tenantId, plan.signals as never, ['tenantId', 'signalId']);
    if (plan.snapshots.length) await insertIgnoring(em, JourneySnapshot, tenantId, plan.snapshots as never, ['tenantId', 'instanceId', 'state', 'stepIndex']);
    if (plan.memberships.length) await insertIgnoring(em, SegmentMember, tenantId, plan.memberships as never, ['tenantId', 'membershipId']);
    for (const [at, membershipIds] of plan.exits) {
      await em
        .createQueryBuilder(SegmentMember)
        .update({ exitedAt: new Date(at) })
        .where({ tenantId, membershipId: { $in: membershipIds }, exitedAt: null })
        .execute();
    }
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
