import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

import { measurementOf, measurementWarnings, type OutcomeKind } from '../domain/playbook-measurement';
import type { PlaybookVersion } from '../entities/playbook-version.entity';

export enum PlaybookOutcomeKind {
  CHURNED = 'churned',
  CONVERTED = 'converted',
  REVENUE = 'revenue',
}
registerEnumType(PlaybookOutcomeKind, {
  name: 'PlaybookOutcomeKind',
  description: 'CHURNED: the customer did the event within the window (to reduce); CONVERTED: did it (to increase); REVENUE: the sum of a property of the event in the window.',
});

@ObjectType({ description: 'What a playbook is measured by, after each customer’s assignment.' })
export class PlaybookOutcome {
  @Field(() => PlaybookOutcomeKind)
  kind!: PlaybookOutcomeKind;

  @Field(() => String)
  event!: string;

  @Field(() => Int)
  windowDays!: number;

  @Field(() => String, { nullable: true })
  revenueProperty!: string | null;
}

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

  @Field(() => GraphQLJSONObject, { description: 'The definition: `entry`, `steps` (each with `id` and `type`: send, wait, waitForEvent, branch, createTask, webhook, updateTraits, experiment, exit) and `exitWhen`.' })
  definition!: Record<string, unknown>;

  @Field(() => Date, { description: 'When this version was stored.' })
  versionCreatedAt!: Date;

  @Field(() => Float, { description: 'Share of enrolled customers held out as control (enrolled, logged, sent nothing).' })
  holdoutFraction!: number;

  @Field(() => PlaybookOutcome)
  outcome!: PlaybookOutcome;

  @Field(() => [String], { description: 'Events counted per arm as guardrails; significantly more in treated than in control pauses the playbook.' })
  guardrails!: string[];

  @Field(() => Boolean, { description: 'Paused (by a guardrail): enrols nobody, and its runs were ended. `resumePlaybook` lifts it.' })
  paused!: boolean;

  @Field(() => Date, { nullable: true, description: 'When it was paused; null when it is not.' })
  pausedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why it was paused: the guardrail rates per arm and the p-value.' })
  pauseReason!: string | null;

  @Field(() => [String], { description: 'What is valid but weak, e.g. a holdout of 0 (nothing can be measured).' })
  warnings!: string[];
}

/** A stored version as the API shows it. */
export function playbookOf(row: PlaybookVersion): Playbook {
  const m = measurementOf(row.measurement);
  return {
    id: row.playbookId,
    version: row.version,
    name: row.name,
    description: row.description,
    archived: row.archived,
    definition: row.definition as unknown as Record<string, unknown>,
    versionCreatedAt: row.createdAt,
    holdoutFraction: m.holdoutFraction,
    outcome: { ...m.outcome, kind: m.outcome.kind as OutcomeKind as PlaybookOutcomeKind },
    guardrails: m.guardrails,
    paused: row.pausedAt !== null,
    pausedAt: row.pausedAt,
    pauseReason: row.pauseReason,
    warnings: measurementWarnings(m),
  };
}
