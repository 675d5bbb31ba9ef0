import { IsOptional, Length, Max, Min } from 'class-validator';
import { ArgsType, Field, ID, Int } from 'type-graphql';

import type { JourneyState } from '../domain/journeys/progress';
import { UpdateJourneyInput } from './journey.input';
import { JourneyStateEnum } from './journey.type';

@ArgsType()
export class JourneyIdArgs {
  @Field(() => ID)
  @Length(1, 64)
  id!: string;
}

@ArgsType()
export class UpdateJourneyArgs extends JourneyIdArgs {
  @Field(() => UpdateJourneyInput)
  input!: UpdateJourneyInput;
}

@ArgsType()
export class JourneysArgs {
  @Field(() => ID, { nullable: true, description: 'Only instances of this journey definition.' })
  @IsOptional()
  @Length(1, 64)
  definitionId?: string | null;

  @Field(() => JourneyStateEnum, { nullable: true })
  @IsOptional()
  state?: JourneyState | null;

  @Field(() => Int, { defaultValue: 50, description: 'At most this many, most recently started first (1–500).' })
  @Min(1)
  @Max(500)
  first: number = 50;
}

@ArgsType()
export class ProfileJourneysArgs {
  // a customer has few journeys; a small default keeps the whole-customer query cheap
  @Field(() => Int, { defaultValue: 20, description: 'At most this many, most recently started first (1–500).' })
  @Min(1)
  @Max(500)
  first: number = 20;
}

@ArgsType()
export class JourneyFunnelArgs {
  @Field(() => ID)
  @Length(1, 64)
  definitionId!: string;

  @Field(() => Date, { nullable: true, description: 'Only instances started at or after this time.' })
  @IsOptional()
  from?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Only instances started before this time.' })
  @IsOptional()
  to?: Date | null;
}
