import type { Logger } from '../../common/logger';
import type { EntityManager } from '../../common/orm';
import type { FsPubSub } from '../../common/pubsub';
import type { EvaluateSegmentPageJob, Queues } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { forkForTenant } from '../../common/tenant-filter';
import type { Profile } from '../entities/profile.entity';
import type { SegmentMembership } from '../entities/segment-membership.entity';
import { Segment } from '../entities/segment.entity';
import { SegmentDefinitionService, type SegmentInput, type SegmentPatch } from './segment-definition.service';
import { SegmentEvaluationService, type MembershipChanges } from './segment-evaluation.service';
import { SegmentMembershipOutbox } from './segment-membership-outbox';
import { SegmentMembershipService, type SegmentMembersPage } from './segment-membership.service';
import { SegmentPageChain } from './segment-page-chain';

export type { SegmentInput, SegmentPatch } from './segment-definition.service';
export type { MembershipChanges } from './segment-evaluation.service';
export type { SegmentMembersPage } from './segment-membership.service';
export { SEGMENT_PAGE_SIZE } from './segment-page-chain';

export interface SegmentServiceEnv {
  pubSub: FsPubSub;
  queues: Queues;
  log: Logger;
}

/**
 * Segments of one tenant as resolvers and workers see them, on one entity manager: definitions
 * (`SegmentDefinitionService`), membership reads (`SegmentMembershipService`) and the evaluation
 * (`SegmentEvaluationService`). Each method hands over to the one that owns it.
 */
export class SegmentService {
  readonly definitions: SegmentDefinitionService;
  readonly memberships: SegmentMembershipService;
  readonly evaluation: SegmentEvaluationService;

  constructor(em: EntityManager, tenantId: string, env: SegmentServiceEnv) {
    const chain = new SegmentPageChain(env.queues, tenantId);
    const outbox = new SegmentMembershipOutbox(em, tenantId, env);
    this.definitions = new SegmentDefinitionService(em, tenantId, chain, env.log);
    this.memberships = new SegmentMembershipService(em, tenantId, this.definitions);
    this.evaluation = new SegmentEvaluationService(em, tenantId, { chain, outbox, log: env.log });
  }

  byId(id: string): Promise<Segment | null> {
    return this.definitions.byId(id);
  }

  list(): Promise<Segment[]> {
    return this.definitions.list();
  }

  create(input: SegmentInput, now = new Date()): Promise<Segment> {
    return this.definitions.create(input, now);
  }

  update(id: string, patch: SegmentPatch, now = new Date()): Promise<Segment> {
    return this.definitions.update(id, patch, now);
  }

  delete(id: string): Promise<string> {
    return this.definitions.delete(id);
  }

  memberCount(segmentId: string): Promise<number> {
    return this.memberships.memberCount(segmentId);
  }

  currentMembershipsOf(profileId: string): Promise<SegmentMembership[]> {
    return this.memberships.currentMembershipsOf(profileId);
  }

  segmentOf(membership: SegmentMembership): Promise<Segment> {
    return this.memberships.segmentOf(membership);
  }

  members(segmentId: string, page: { first: number; after?: string | null }): Promise<SegmentMembersPage> {
    return this.memberships.members(segmentId, page);
  }

  profileForEvent(profileId: string): Promise<Profile | null> {
    return this.memberships.profileForEvent(profileId);
  }

  evaluateProfile(profileId: string, now = new Date()): Promise<MembershipChanges> {
    return this.evaluation.evaluateProfile(profileId, now);
  }

  evaluateProfiles(profileIds: readonly string[], now = new Date(), chunk = 100): Promise<MembershipChanges> {
    return this.evaluation.evaluateProfiles(profileIds, now, chunk);
  }

  runPage(job: EvaluateSegmentPageJob, processingTime = new Date()): Promise<{ evaluated: number; next: string | null }> {
    return this.evaluation.runPage(job, processingTime);
  }
}

/** Tenants that have at least one time-based segment: the ones the scheduled re-check visits. */
export function tenantsWithTimeBasedSegments(em: EntityManager): Promise<string[]> {
  return em.getRepository(Segment).tenantsWithTimeBased();
}

/** A SegmentService on a fresh entity manager: one per request or job. */
export function createSegmentService(
  deps: Pick<SubgraphDeps, 'orm' | 'pubSub' | 'queues' | 'log'>,
  tenantId: string,
  em: EntityManager = forkForTenant(deps.orm, tenantId),
): SegmentService {
  return new SegmentService(em, tenantId, { pubSub: deps.pubSub, queues: deps.queues, log: deps.log });
}
