import { Cascade, Collection, Entity, EntityRepositoryType, Index, OneToMany, Property, type Opt } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';
import { RequireScope } from '../../common/require-scope';
import type { TraitTimestamps } from '../domain/traits';
import { Identity } from './identity.entity';
import { ProfileRepository } from './profile.repository';

/**
 * One real customer, as resolved from their identities. Owned by this subgraph. Every field but
 * `id` needs `profiles:read` on the field itself, not only on the queries that return a profile:
 * a Profile is also reached through `riskChanged.profile`, `signalDetected.profile`,
 * `Alert.profile` and other references, whose own scopes say nothing about profile data.
 */
@ObjectType({ description: 'The unified customer profile. Other subgraphs extend it with their fields.' })
@Directive('@key(fields: "id")')
@Entity({ tableName: 'profile', repository: () => ProfileRepository })
// the profiles sweeper's read: the few profiles whose segment evaluation is still owed
@Index({ properties: ['segmentsPendingSince'] })
export class Profile extends TenantEntity {
  [EntityRepositoryType]?: ProfileRepository;

  @RequireScope('profiles:read')
  @Field(() => GraphQLJSONObject, { description: 'Latest traits, applied last-write-wins by event time.' })
  @Property({ type: 'json' })
  traits: Opt<Record<string, unknown>> = {};

  /** Event time (epoch ms) of each trait's value: what last-write-wins compares. Not exposed. */
  @Property({ type: 'json', default: '{}' })
  traitTimestamps: Opt<TraitTimestamps> = {};

  @RequireScope('profiles:read')
  @Field(() => GraphQLJSONObject, {
    description:
      'Aggregates kept current as events arrive (eventCounts per event name over 7d/30d/90d, eventCount, firstSeen, lastSeen, lastPurchaseAt, orderCount, totalRevenue, computedAt), plus one namespace per stage that pushes its own (e.g. `risk`).',
  })
  @Property({ type: 'json', default: '{}' })
  computedTraits: Opt<Record<string, unknown>> = {};

  @RequireScope('profiles:read')
  @Field(() => [ID], { description: 'Ids of the profiles merged into this one (directly or through earlier merges); they resolve to this profile.' })
  @Property({ type: 'json', default: '[]' })
  mergedFrom: Opt<string[]> = [];

  /**
   * Set (if not set yet) in the transaction that changes what segments evaluate (events, traits,
   * computed traits), cleared by the evaluation of every segment of the tenant for this profile:
   * the `evaluate-segments` hand-off, recoverable from SQL. The profiles sweeper
   * (`sweep-profiles`) queues the evaluation again once it is older than `SWEEP_GRACE_MS` (the
   * job lost to a Redis flush or a crash). Null: nothing owed.
   */
  @Property({ type: 'datetime', nullable: true })
  segmentsPendingSince: Opt<Date> | null = null;

  /**
   * Raised by every change that sets `segmentsPendingSince`: the evaluation clears the marker only
   * if this is still the value it read under its lock, so a change that lands after the read keeps
   * the profile pending (a timestamp could repeat within a millisecond, a counter cannot).
   */
  @Property({ type: 'integer', default: 0 })
  segmentsPendingVersion: Opt<number> = 0;

  /** Exposed by ProfileResolver.identities, which loads the collection (batched). */
  @OneToMany({ entity: () => Identity, mappedBy: 'profile', cascade: [Cascade.ALL], orderBy: { type: 'asc', value: 'asc' } })
  identities = new Collection<Identity>(this);
}
