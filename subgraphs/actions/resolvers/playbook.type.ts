import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';

import type { PlaybookVersion } from '../entities/playbook-version.entity';

@ObjectType({ description: 'A playbook of your tenant, at its current version.' })
export class Playbook {
  @Field(() => ID, { description: 'Stable across versions.' })
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => Boolean, { description: 'Archived playbooks enrol nobody; runs going on continue.' })
  archived!: boolean;

  @Field(() => GraphQLJSONObject, { description: 'The definition: `entry`, `steps` (each with `id` and `type`: send, wait, waitForEvent, branch, createTask, webhook, updateTraits, exit) and `exitWhen`.' })
  definition!: Record<string, unknown>;

  @Field(() => Date, { description: 'When this version was stored.' })
  versionCreatedAt!: Date;
}

/** A stored version as the API shows it. */
export function playbookOf(row: PlaybookVersion): Playbook {
  return {
    id: row.playbookId,
    version: row.version,
    name: row.name,
    description: row.description,
    archived: row.archived,
    definition: row.definition as unknown as Record<string, unknown>,
    versionCreatedAt: row.createdAt,
  };
}
