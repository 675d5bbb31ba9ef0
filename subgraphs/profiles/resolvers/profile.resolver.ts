import { Args, Arg, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { Identity } from '../entities/identity.entity';
import { Profile } from '../entities/profile.entity';
import { ProfileArgs, ProfileByIdentityArgs } from './profile.args';
import { UpsertProfileInput } from './profile.input';
import type { ProfilesContext } from './profiles.context';

@Resolver(() => Profile)
export class ProfileResolver {
  @RequireScope('profiles:read')
  @Query(() => Profile, { nullable: true, description: 'A profile of the caller’s tenant, or null.' })
  profile(@Args() { id }: ProfileArgs, @Ctx() ctx: ProfilesContext): Promise<Profile | null> {
    return ctx.services.profiles.byId(id);
  }

  @RequireScope('profiles:read')
  @Query(() => Profile, { nullable: true })
  profileByIdentity(@Args() { type, value }: ProfileByIdentityArgs, @Ctx() ctx: ProfilesContext): Promise<Profile | null> {
    return ctx.services.profiles.byIdentity(type, value);
  }

  @RequireScope('admin')
  @Mutation(() => Profile, { description: 'Finds the profile by its identities (or creates it) and merges traits. Idempotent.' })
  upsertProfile(@Arg('input', () => UpsertProfileInput) input: UpsertProfileInput, @Ctx() ctx: ProfilesContext): Promise<Profile> {
    return ctx.services.profiles.upsert(input);
  }

  @FieldResolver(() => [Identity], { description: 'Every identifier this profile is known by.' })
  identities(@Root() profile: Profile): Promise<Identity[]> {
    // the ORM's dataloader batches these loads across the profiles of one response
    return profile.identities.loadItems();
  }
}
