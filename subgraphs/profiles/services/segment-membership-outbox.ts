import type { EntityManager } from '../../common/orm';
import { SEGMENT_MEMBERSHIP_CHANGED as MEMBERSHIP_TOPIC, type FsPubSub, type SegmentMembershipChangedEvent } from '../../common/pubsub';
import { RECORD_ACTIVITY, SEGMENT_MEMBERSHIP_CHANGED, segmentChangeJobId, type Queues } from '../../common/queues';
import { SegmentMembership } from '../entities/segment-membership.entity';

/**
 * The membership rows are the outbox of entries and exits: each carries whether its entry (exit)
 * was announced, so what a crash left unannounced goes out on the profile's next evaluation.
 */
export class SegmentMembershipOutbox {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly env: { pubSub: FsPubSub; queues: Queues },
  ) {}

  /**
   * Queues and publishes every entry/exit of these profiles not yet announced. Job ids are
   * `<tenantId>-<membershipId>-<change>`, so the durable queue never gets one twice; the live
   * pub/sub event goes out only from the evaluation that claims the row (a conditional UPDATE),
   * so two concurrent evaluations of one profile cannot both stream it. A crash between claim
   * and publish loses that live event, never the queued one.
   */
  async announce(profileIds: string[]): Promise<void> {
    const memberships = this.em.fork().getRepository(SegmentMembership);
    const pending = await memberships.unannounced(this.tenantId, profileIds);
    if (pending.length === 0) return;
    const events: SegmentMembershipChangedEvent[] = [];
    for (const m of pending) {
      const base = { tenantId: this.tenantId, segmentId: m.segment.id, segmentName: m.segment.getEntity().name, profileId: m.profileId, membershipId: m.id };
      if (!m.entryAnnounced) events.push({ ...base, change: 'entered', at: m.enteredAt.toISOString() });
      if (m.exitedAt && !m.exitAnnounced) events.push({ ...base, change: 'exited', at: m.exitedAt.toISOString() });
    }
    await this.env.queues.get(SEGMENT_MEMBERSHIP_CHANGED).addBulk(
      events.map((event) => ({
        name: SEGMENT_MEMBERSHIP_CHANGED,
        data: event,
        opts: { jobId: segmentChangeJobId(event) },
      })),
    );
    // the risk stage keeps its own copy of membership (riskChanged filters by segment)
    await this.env.queues.get(RECORD_ACTIVITY).addBulk(
      events.map((event) => ({
        name: RECORD_ACTIVITY,
        data: { kind: 'segment' as const, ...event },
        opts: { jobId: `${this.tenantId}-segment-${event.membershipId}-${event.change}` },
      })),
    );
    for (const event of events) {
      if (await memberships.claimAnnouncement(this.tenantId, event.membershipId, event.change)) {
        this.env.pubSub.publish(MEMBERSHIP_TOPIC, this.tenantId, event);
      }
    }
  }
}
