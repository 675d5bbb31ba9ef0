import { insertOnce, type EntityManager } from '../../common/orm';
import type { RecordActivityJob } from '../../common/queues';
import type { ProfileHistory } from '../domain/churn/history';
import { ActivityEvent } from '../entities/activity-event.entity';
import { ActivitySignal } from '../entities/activity-signal.entity';
import { JourneySnapshot } from '../entities/journey-snapshot.entity';
import { SegmentMember } from '../entities/segment-member.entity';

/** Risk's own copy of profiles' activity: stored idempotently, read back as `ProfileHistory`. */
export class ActivityService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
  ) {}

  /** Stores one observation; a replay (same event/signal/snapshot/membership) changes nothing. Returns the profile it is about. */
  async record(job: RecordActivityJob): Promise<string> {
    const tenantId = this.tenantId;
    switch (job.kind) {
      case 'event':
        await insertOnce(
          this.em,
          ActivityEvent,
          { tenantId, profileId: job.profileId, eventId: job.eventId, type: job.type, name: job.name, timestamp: new Date(job.timestamp), revenue: job.revenue, traits: job.traits },
          ['tenantId', 'eventId'],
        );
        break;
      case 'signal':
        await insertOnce(
          this.em,
          ActivitySignal,
          {
            tenantId,
            profileId: job.profileId,
            signalId: job.signalId,
            type: job.type,
            severity: job.severity,
            detectedAt: new Date(job.detectedAt),
            journeyInstanceId: job.journeyInstanceId,
            summary: job.summary,
          },
          ['tenantId', 'signalId'],
        );
        break;
      case 'journey':
        await insertOnce(
          this.em,
          JourneySnapshot,
          {
            tenantId,
            profileId: job.profileId,
            instanceId: job.instanceId,
            journeyId: job.journeyId,
            journeyName: job.journeyName,
            state: job.state,
            stepIndex: job.stepIndex,
            stepCount: job.stepCount,
            step: job.step,
            stepReachedAt: new Date(job.stepReachedAt),
            stepSlaMs: job.stepSlaMs,
            startedAt: new Date(job.startedAt),
            retries: job.retries,
            endedAt: job.endedAt ? new Date(job.endedAt) : null,
            observedAt: new Date(job.observedAt),
          },
          ['tenantId', 'instanceId', 'state', 'stepIndex'],
        );
        break;
      case 'segment': {
        const member = await insertOnce(
          this.em,
          SegmentMember,
          { tenantId, profileId: job.profileId, segmentId: job.segmentId, membershipId: job.membershipId, enteredAt: new Date(job.at) },
          ['tenantId', 'membershipId'],
        );
        if (job.change === 'exited' && !member.exitedAt) {
          await this.em.nativeUpdate(SegmentMember, { id: member.id }, { exitedAt: new Date(job.at) });
        }
        break;
      }
    }
    return job.profileId;
  }

  /**
   * One profile's whole history, for a live score: the lifetime model needs the first purchase
   * however old it is (features look back 90 days at most).
   */
  async historyOf(profileId: string): Promise<ProfileHistory> {
    const histories = await this.histories([profileId]);
    return histories.get(profileId) ?? { profileId, events: [], signals: [], journeys: [] };
  }

  /** Histories of these profiles since `from` (all time when null), in three queries. */
  async histories(profileIds: string[], from: Date | null = null): Promise<Map<string, ProfileHistory>> {
    const tenantId = this.tenantId;
    const byProfile = new Map<string, ProfileHistory>(profileIds.map((id) => [id, { profileId: id, events: [], signals: [], journeys: [] }]));
    if (profileIds.length === 0) return byProfile;
    const [events, signals, journeys] = await Promise.all([
      this.em.find(
        ActivityEvent,
        { tenantId, profileId: { $in: profileIds }, ...(from ? { timestamp: { $gte: from } } : {}) },
        { orderBy: { timestamp: 'asc', id: 'asc' }, fields: ['profileId', 'eventId', 'type', 'name', 'timestamp', 'revenue', 'traits'] },
      ),
      this.em.find(
        ActivitySignal,
        { tenantId, profileId: { $in: profileIds }, ...(from ? { detectedAt: { $gte: from } } : {}) },
        { orderBy: { detectedAt: 'asc', id: 'asc' } },
      ),
      this.em.find(JourneySnapshot, { tenantId, profileId: { $in: profileIds } }, { orderBy: { observedAt: 'asc', id: 'asc' } }),
    ]);
    for (const e of events) {
      byProfile.get(e.profileId)?.events.push({ id: e.eventId, type: e.type, name: e.name, timestamp: e.timestamp, revenue: e.revenue, traits: e.traits });
    }
    for (const s of signals) {
      byProfile.get(s.profileId)?.signals.push({ id: s.signalId, type: s.type, severity: s.severity, detectedAt: s.detectedAt, summary: s.summary });
    }
    for (const j of journeys) {
      byProfile.get(j.profileId)?.journeys.push({ instanceId: j.instanceId, journeyName: j.journeyName, state: j.state, observedAt: j.observedAt });
    }
    return byProfile;
  }

  /** The tenant's profiles with activity, a page at a time (by profile id). */
  async profilePage(after: string | null, limit: number): Promise<string[]> {
    const qb = this.em
      .createQueryBuilder(ActivityEvent)
      .select('profileId', true)
      .where({ tenantId: this.tenantId, ...(after ? { profileId: { $gt: after } } : {}) })
      .orderBy({ profileId: 'asc' })
      .limit(limit);
    const rows: { profileId?: string; profile_id?: string }[] = await qb.execute('all', false);
    return rows.map((r) => (r.profileId ?? r.profile_id) as string);
  }

  /** Latest event time of the tenant: "now" of its data, the end of label windows. */
  async dataEnd(): Promise<Date | null> {
    const last = await this.em.findOne(ActivityEvent, { tenantId: this.tenantId }, { orderBy: { timestamp: 'desc' }, fields: ['timestamp'] });
    return last?.timestamp ?? null;
  }

  /** Signal types the tenant has seen (one feature each). */
  async signalTypes(): Promise<string[]> {
    const rows: { type: string }[] = await this.em
      .createQueryBuilder(ActivitySignal)
      .select('type', true)
      .where({ tenantId: this.tenantId })
      .orderBy({ type: 'asc' })
      .execute('all', false);
    return rows.map((r) => r.type);
  }
}
