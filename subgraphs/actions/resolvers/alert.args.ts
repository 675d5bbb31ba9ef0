import { IsIn, IsOptional, IsUUID, Length, Max, MaxLength, Min } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';

import { ALERT_SEVERITIES } from '../domain/alert-rule';
import { AlertOutcome, AlertSeverity, AlertStatus } from '../entities/alert.entity';

@InputType({ description: 'Every field given must hold (AND). Omit the filter to list every alert.' })
export class AlertsFilter {
  @Field(() => AlertStatus, { nullable: true })
  @IsOptional()
  status?: AlertStatus | null;

  @Field(() => String, { nullable: true, description: 'The team whose inbox it is in.' })
  @IsOptional()
  @Length(1, 100)
  team?: string | null;

  @Field(() => AlertSeverity, { nullable: true })
  @IsOptional()
  severity?: AlertSeverity | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  ruleId?: string | null;

  @Field(() => ID, { nullable: true })
  @IsOptional()
  @IsUUID()
  profileId?: string | null;
}

@ArgsType()
export class AlertsArgs {
  @Field(() => AlertsFilter, { nullable: true })
  @IsOptional()
  filter?: AlertsFilter | null;

  @Field(() => AlertStatus, { nullable: true, deprecationReason: 'Use filter.status.' })
  @IsOptional()
  status?: AlertStatus | null;

  @Field(() => Int, { defaultValue: 50, description: 'Page size, 1–500.' })
  @Min(1)
  @Max(500)
  first: number = 50;

  @Field(() => String, { nullable: true, description: 'The `cursor` of the last alert of the previous page.' })
  @IsOptional()
  @MaxLength(200)
  after?: string | null;
}

@ArgsType()
export class AcknowledgeAlertArgs {
  @Field(() => ID)
  @IsUUID()
  id!: string;
}

@ArgsType()
export class AssignAlertArgs {
  @Field(() => ID)
  @IsUUID()
  id!: string;

  @Field(() => String, { description: 'Who works on it (a name, email or user id of your tools), 1–200 characters.' })
  @Length(1, 200)
  assignee!: string;

  @Field(() => String, { nullable: true, description: 'Moves the alert to this team’s inbox too.' })
  @IsOptional()
  @Length(1, 100)
  team?: string | null;
}

@ArgsType()
export class ResolveAlertArgs {
  @Field(() => ID)
  @IsUUID()
  id!: string;

  @Field(() => AlertOutcome)
  outcome!: AlertOutcome;

  @Field(() => String, { nullable: true, description: 'What was done, at most 2000 characters.' })
  @IsOptional()
  @MaxLength(2000)
  note?: string | null;
}

@ArgsType()
export class AlertRaisedArgs {
  @Field(() => String, { nullable: true, description: 'Only alerts for this team.' })
  @IsOptional()
  @Length(1, 100)
  team?: string | null;

  @Field(() => AlertSeverity, { nullable: true, description: 'Only alerts at least this severe.' })
  @IsOptional()
  @IsIn(ALERT_SEVERITIES)
  minSeverity?: AlertSeverity | null;

  @Field(() => ID, { nullable: true, description: 'Only alerts of this rule.' })
  @IsOptional()
  @IsUUID()
  ruleId?: string | null;
}
