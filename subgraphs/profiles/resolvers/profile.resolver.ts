import { Args, Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { Identity } from '../entities/identity.entity';
import { Profile } from '../entities/profile.entity';
import { ProfileArgs, ProfileByIdentityArgs, ProfilesArgs } from './profile.args';
import { ProfileConnection } from './profile-connection.type';
import { ProfileGroup } from './profile-group.type';
import { UpsertProfileInput } from './profile.input';
import type { ProfilesContext } from './profiles.context';

@Resolver(() => Profile)
export class ProfileResolver {
  @RequireScope('profiles:read')
  @Query(() => Profile, {
    nullable: true,
    description: 'A profile of the caller’s tenant, or null. The id of a merged profile resolves to the profile it was merged into.',
  })
  profile(@Args() { id }: ProfileArgs, @Ctx() ctx: ProfilesContext): Promise<Profile | null> {
    return ctx.services.profiles.byId(id);
  }

  @RequireScope('profiles:read')
  @Query(() => Profile, { nullable: true })
  profileByIdentity(@Args() { type, value }: ProfileByIdentityArgs, @Ctx() ctx: ProfilesContext): Promise<Profile | null> {
    return ctx.services.profiles.byIdentity(type, value);
  }

  @RequireScope('profiles:read')
  @Query(() => ProfileConnection, { description: 'Profiles of the caller’s tenant, filtered, in id (creation) order, cursor-paginated.' })
  profiles(@Args() args: ProfilesArgs, @Ctx() ctx: ProfilesContext): Promise<ProfileConnection> {
    return ctx.services.profiles.list(args);
  }

  @RequireScope('admin')
  @Mutation(() => Profile, { description: 'Finds the profile by its identities (or creates it) and merges traits. Idempotent.' })
  upsertProfile(@Arg('input', () => UpsertProfileInput) input: UpsertProfileInput, @Ctx() ctx: ProfilesContext): Promise<Profile> {
    return ctx.services.profiles.upsert(input);
  }

  @RequireScope('profiles:read')
  @FieldResolver(() => [Identity], { description: 'Every identifier this profile is known by.' })
  identities(@Root() profile: Profile): Promise<Identity[]> {
    // the ORM's dataloader batches these loads across the profiles of one response
    return profile.identities.loadItems();
  }

  @RequireScope('profiles:read')
  @FieldResolver(() => [ProfileGroup], { description: 'Accounts this profile belongs to (`group` events), oldest link first.' })
  groups(@Root() profile: Profile, @Ctx() ctx: ProfilesContext): Promise<ProfileGroup[]> {
    return ctx.services.profiles.groupsFor(profile.id);
  }

  // createdAt and updatedAt come from TenantEntity, shared by every entity; re-declared here so
  // the scope applies to the Profile's copy only
  @RequireScope('profiles:read')
  @FieldResolver(() => Date, { description: 'When the profile was first seen.' })
  createdAt(@Root() profile: Profile): Date {
    return profile.createdAt;
  }

  @RequireScope('profiles:read')
  @FieldResolver(() => Date, { description: 'When the profile last changed.' })
  updatedAt(@Root() profile: Profile): Date {
    return profile.updatedAt;
  }
}
