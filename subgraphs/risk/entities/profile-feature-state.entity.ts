import { Entity, Property, Unique } from '@mikro-orm/core';

import { TenantEntity } from '../../common/base.entity';

/**
 * A profile's incremental feature state (`domain/churn/feature-state.ts`), kept up to date by
 * `record-activity` in the transaction that stores the activity, so live scores need no re-read
 * of the history. `state` null means stale (after a merge, or two first writers at once): it is
 * rebuilt from the history by the next batch of the profile, and scored from the history until then.
 */
@Entity({ tableName: 'profile_feature_state' })
@Unique({ properties: ['tenantId', 'profileId'] })
export class ProfileFeatureState extends TenantEntity {
  @Property({ type: 'uuid' })
  profileId!: string;

  /** The state as JSON text, or null when stale. */
  @Property({ type: 'text', nullable: true })
  state: string | null = null;

  /** Purchase event names the state keeps purchases of (JSON array): kept while stale, for the rebuild. */
  @Property({ type: 'text' })
  purchaseEvents!: string;
}
