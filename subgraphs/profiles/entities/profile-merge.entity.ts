import { Entity, EntityRepositoryType, Index, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';
import { ProfileMergeRepository } from './profile-merge.repository';

/** Why two profiles were merged. */
export type MergeReason = 'shared_identity' | 'alias';

/**
 * Audit trail of a merge, and the forwarding address of the merged (deleted) profile: a query by
 * `mergedProfileId` follows these rows, link by link, to the surviving profile. A profile is
 * merged at most once (it is gone afterwards), so the row is unique per merged id and a replayed
 * merge inserts nothing.
 */
@Entity({ tableName: 'profile_merge', repository: () => ProfileMergeRepository })
@Unique({ properties: ['tenantId', 'mergedProfileId'] })
@Index({ properties: ['tenantId', 'survivorProfileId'] })
@Index({ properties: ['tenantId', 'eventId'] })
export class ProfileMerge extends TenantEntity {
  [EntityRepositoryType]?: ProfileMergeRepository;

  @Property({ type: 'uuid' })
  mergedProfileId!: string;

  @Property({ type: 'uuid' })
  survivorProfileId!: string;

  @Property({ type: 'string', length: 32 })
  reason!: MergeReason;

  /** The event that linked the two profiles. */
  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'datetime' })
  mergedAt!: Date;
}
