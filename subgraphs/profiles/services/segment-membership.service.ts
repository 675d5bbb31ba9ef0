import DataLoader from 'dataloader';

import { AppError } from '../../common/errors';
import { isUuid } from '../../common/ids';
import type { EntityManager } from '../../common/orm';
import { decodeMemberCursor, encodeMemberCursor } from '../domain/segments/member-cursor';
import { Profile } from '../entities/profile.entity';
import { SegmentMembership } from '../entities/segment-membership.entity';
import type { Segment } from '../entities/segment.entity';
import type { SegmentDefinitionService } from './segment-definition.service';

/** One page of a segment's current members, oldest entry first, in the shape of `SegmentMemberConnection`. */
export interface SegmentMembersPage {
  edges: { cursor: string; node: SegmentMembership }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  memberCount: number;
}

/** Reads of segment membership for one request: counts and profiles' segments batched per response. */
export class SegmentMembershipService {
  private readonly memberCountLoader: DataLoader<string, number>;
  private readonly currentLoader: DataLoader<string, SegmentMembership[]>;

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly definitions: SegmentDefinitionService,
  ) {
    const memberships = () => this.em.getRepository(SegmentMembership);
    this.memberCountLoader = new DataLoader(async (segmentIds) => {
      const counts = await memberships().currentCounts(this.tenantId, segmentIds);
      return segmentIds.map((id) => counts.get(id) ?? 0);
    });
    this.currentLoader = new DataLoader(async (profileIds) => {
      const rows = await memberships().currentOfProfiles(this.tenantId, profileIds.filter(isUuid));
      return profileIds.map((id) => rows.filter((m) => m.profileId === id));
    });
  }

  /** Profiles currently in the segment (batched across the segments of one response). */
  memberCount(segmentId: string): Promise<number> {
    return this.memberCountLoader.load(segmentId);
  }

  /** The segments a profile is in now, oldest entry first (batched across profiles). */
  currentMembershipsOf(profileId: string): Promise<SegmentMembership[]> {
    return this.currentLoader.load(profileId);
  }

  /** The segment of a membership row (loaded once per request by the ORM's dataloader). */
  segmentOf(membership: SegmentMembership): Promise<Segment> {
    return membership.segment.loadOrFail();
  }

  /** Current members after the opaque cursor `after`, oldest entry first. */
  async members(segmentId: string, page: { first: number; after?: string | null }): Promise<SegmentMembersPage> {
    const segment = await this.definitions.require(segmentId);
    const afterId = page.after ? decodeMemberCursor(page.after) : null;
    if (page.after && !afterId) throw new AppError('BAD_USER_INPUT', 'invalid cursor', { argument: 'after' });
    const rows = await this.em.getRepository(SegmentMembership).currentPage(this.tenantId, segment.id, afterId, page.first + 1);
    const edges = rows.slice(0, page.first).map((node) => ({ cursor: encodeMemberCursor(node.id), node }));
    return {
      edges,
      pageInfo: { hasNextPage: rows.length > page.first, endCursor: edges.length ? edges[edges.length - 1].cursor : null },
      memberCount: await this.memberCount(segment.id),
    };
  }

  /**
   * A profile for a subscription event, read on a fresh identity map: a subscription's context
   * lives as long as the subscription, and its cached rows would go stale.
   */
  profileForEvent(profileId: string): Promise<Profile | null> {
    return this.em.fork().findOne(Profile, { tenantId: this.tenantId, id: profileId });
  }
}
