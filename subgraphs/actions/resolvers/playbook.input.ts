import { IsIn, IsOptional, IsUUID, Length, Max, Min } from 'class-validator';
import { GraphQLJSONObject } from 'graphql-scalars';
import { ArgsType, Field, Float, ID, InputType, Int } from 'type-graphql';

import type { PlaybookStepDraft } from '../domain/validate-playbook';
import { RUN_STATUSES } from '../domain/playbook-run';
import { PlaybookOutcomeKind } from './playbook.type';

@InputType({ description: 'What the playbook is measured by, observed for `windowDays` after each customer’s assignment.' })
export class PlaybookOutcomeInput {
  @Field(() => PlaybookOutcomeKind)
  kind!: PlaybookOutcomeKind;

  @Field(() => String, { description: 'The event name, e.g. `Account Closed`.' })
  event!: string;

  @Field(() => Int, { description: '1–365 days.' })
  windowDays!: number;

  @Field(() => String, { nullable: true, description: 'REVENUE only: the event property holding the amount.' })
  revenueProperty?: string | null;
}

@InputType({ description: 'A whole playbook: creating stores version 1, updating stores the next version.' })
export class PlaybookInput {
  @Field(() => String, { description: '1–200 characters.' })
  name!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => String, { nullable: true, description: 'The first step’s id; default the first step.' })
  entry?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'End runs at once when the profile’s risk falls back to Low (also during a wait). Default true.' })
  exitWhenRiskLow?: boolean | null;

  @Field(() => [GraphQLJSONObject], {
    description:
      'Steps, each `{ id, type, … }`: send `{ channel, to?, subject?, body?, html?, next, onFailure? }`; wait `{ seconds | untilLocalTime "HH:MM", fallbackTimezone?, next }`; waitForEvent `{ event, where: [{ property, equals }], timeoutSeconds, onEvent, onTimeout }`; branch `{ arms: [{ when: [{ field, op, value }], next }], otherwise }`; createTask `{ team, title, priority, dueInSeconds, escalateToTeam?, next }`; webhook `{ channel, data: { key: template }, next, onFailure? }`; updateTraits `{ traits: { key: value or template }, next }`; experiment `{ key, name?, control: { weight?, next }, variants: [{ name, weight?, next }] (2–4), goal: { event, where?: [{ property, equals }], windowSeconds }, autoWinner?: { minSamplePerArm?, alpha?, mixingSd? } }`; exit `{}`. Templates use {{profile.traits.x}}, {{risk.x}}, {{alert.x}}. Errors name the field, e.g. `input.steps[2].timeoutSeconds`.',
  })
  steps!: PlaybookStepDraft[];

  @Field(() => Float, { nullable: true, description: 'Share held out as control, 0–0.5. Default 0.1; 0 is allowed (with a warning: nothing can be measured).' })
  holdoutFraction?: number | null;

  @Field(() => PlaybookOutcomeInput, { nullable: true, description: 'Default: CHURNED, event `Account Closed`, 30 days.' })
  outcome?: PlaybookOutcomeInput | null;

  @Field(() => [String], { nullable: true, description: 'Guardrail events. Default `Unsubscribed`, `Complaint`, `Opted Out`.' })
  guardrails?: string[] | null;
}

@ArgsType()
export class PlaybookIdArgs {
  @Field(() => ID)
  @IsUUID()
  id!: string;
}

@ArgsType()
export class PlaybooksArgs {
  @Field(() => Boolean, { defaultValue: false })
  includeArchived: boolean = false;
}

@ArgsType()
export class EnrollArgs {
  @Field(() => ID)
  @IsUUID()
  playbookId!: string;

  @Field(() => ID)
  @IsUUID()
  profileId!: string;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Traits for the run’s templates and branches (consent traits are honoured by every send).' })
  @IsOptional()
  traits?: Record<string, unknown> | null;
}

@ArgsType()
export class RunIdArgs {
  @Field(() => ID)
  @IsUUID()
  runId!: string;
}

@InputType({ description: 'Every field given must hold (AND).' })
export class RunsFilter {
  @Field(() => String, { nullable: true, description: 'active, waiting, completed, cancelled, failed or held_out.' })
  @IsOptional()
  @IsIn(RUN_STATUSES as string[])
  status?: (typeof RUN_STATUSES)[number] | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  playbookId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  profileId?: string | null;
}

@ArgsType()
export class PageArgs {
  @Field(() => Int, { defaultValue: 50, description: 'Page size, 1–500.' })
  @Min(1)
  @Max(500)
  first: number = 50;

  @Field(() => String, { nullable: true, description: 'The `cursor` of the last item of the previous page.' })
  @IsOptional()
  after?: string | null;
}

@ArgsType()
export class RunsArgs extends PageArgs {
  @Field(() => RunsFilter, { nullable: true })
  @IsOptional()
  filter?: RunsFilter | null;
}

@InputType({ description: 'Every field given must hold (AND).' })
export class TasksFilter {
  @Field(() => String, { nullable: true, description: 'open or done.' })
  @IsOptional()
  @IsIn(['open', 'done'])
  status?: 'open' | 'done' | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 100)
  team?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(1, 200)
  assignee?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  profileId?: string | null;
}

@ArgsType()
export class TasksArgs extends PageArgs {
  @Field(() => TasksFilter, { nullable: true })
  @IsOptional()
  filter?: TasksFilter | null;
}

@InputType()
export class CreateTaskInput {
  @Field(() => ID)
  @IsUUID()
  profileId!: string;

  @Field(() => String)
  team!: string;

  @Field(() => String)
  title!: string;

  @Field(() => String, { nullable: true, description: 'low, normal (default), high or urgent.' })
  priority?: string | null;

  @Field(() => Date, { nullable: true })
  dueAt?: Date | null;

  @Field(() => String, { nullable: true })
  assignee?: string | null;
}

@ArgsType()
export class AssignTaskArgs {
  @Field(() => ID)
  @IsUUID()
  taskId!: string;

  @Field(() => String)
  @Length(1, 200)
  assignee!: string;
}

@ArgsType()
export class CompleteTaskArgs {
  @Field(() => ID)
  @IsUUID()
  taskId!: string;

  @Field(() => String, { description: 'How it ended, e.g. `saved`, `churned`, `no_answer` (1–32 characters).' })
  @Length(1, 32)
  outcome!: string;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Length(0, 5000)
  note?: string | null;
}
