import { Field, ObjectType } from 'type-graphql';

import { Profile } from '../entities/profile.entity';

@ObjectType()
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to get the next page; null on an empty page.' })
  endCursor!: string | null;
}

@ObjectType()
export class ProfileEdge {
  @Field(() => String, { description: 'Opaque position of this profile in the list.' })
  cursor!: string;

  @Field(() => Profile)
  node!: Profile;
}

@ObjectType({ description: 'A page of profiles, ordered by id (creation order).' })
export class ProfileConnection {
  @Field(() => [ProfileEdge])
  edges!: ProfileEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}
