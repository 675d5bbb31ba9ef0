import { IsOptional, IsUUID } from 'class-validator';
import { ArgsType, Field, Float, ID, InputType, Int } from 'type-graphql';

import { AlertSeverity } from '../entities/alert.entity';
import { AlertTriggerType, CrossingDirection } from './alert-rule.type';

@InputType({ description: 'What fires the rule: set `type` and the fields of that type (see `AlertRuleTrigger`).' })
export class AlertTriggerInput {
  @Field(() => AlertTriggerType)
  type!: AlertTriggerType;

  @Field(() => String, { nullable: true, description: 'RISK_CROSSING: `churn`, `drop_off`, …; required with a threshold, null = every kind with a bucket.' })
  riskKind?: string | null;

  @Field(() => String, { nullable: true, description: 'RISK_CROSSING: enter this bucket (`low`, `medium`, `high`). Give a bucket or a threshold.' })
  bucket?: string | null;

  @Field(() => Float, { nullable: true, description: 'RISK_CROSSING: cross this score (0–100).' })
  threshold?: number | null;

  @Field(() => CrossingDirection, { nullable: true, description: 'RISK_CROSSING with a threshold: UP (default) or DOWN.' })
  direction?: CrossingDirection | null;

  @Field(() => Float, { nullable: true, description: 'RISK_CROSSING with a threshold: 0–50 points; the rule re-arms only past threshold ∓ hysteresis. Default 0.' })
  hysteresis?: number | null;

  @Field(() => String, { nullable: true, description: 'FRICTION_SIGNAL: the signal type, e.g. `retry_loop`.' })
  signalType?: string | null;

  @Field(() => Float, { nullable: true, description: 'FRICTION_SIGNAL: least severity, 0–1. Default 0.' })
  minSeverity?: number | null;

  @Field(() => ID, { nullable: true, description: 'SEGMENT: the segment.' })
  segmentId?: string | null;

  @Field(() => String, { nullable: true, description: 'SEGMENT: `entered` (default) or `exited`.' })
  segmentChange?: string | null;

  @Field(() => ID, { nullable: true, description: 'JOURNEY: the journey; null = any.' })
  journeyId?: string | null;

  @Field(() => String, { nullable: true, description: 'JOURNEY: `active`, `stalled`, `completed` or `abandoned`.' })
  journeyState?: string | null;
}

@InputType({ description: 'Facts that must also hold when the trigger fires (AND); omit what you do not need.' })
export class AlertConditionsInput {
  @Field(() => Float, { nullable: true, description: 'RISK_CROSSING only (the score change carries it): revenue at risk strictly above this amount.' })
  revenueAtRiskAbove?: number | null;

  @Field(() => Float, { nullable: true, description: 'RISK_CROSSING only (the score change carries it): CLV strictly above this amount.' })
  clvAbove?: number | null;

  @Field(() => [ID], { nullable: true, description: 'The profile must be in at least one of these segments.' })
  segmentIds?: string[] | null;
}

@InputType({ description: 'A whole rule: creating stores version 1, updating stores the next version.' })
export class AlertRuleInput {
  @Field(() => String, { description: '1–200 characters.' })
  name!: string;

  @Field(() => AlertSeverity, { defaultValue: AlertSeverity.MEDIUM })
  severity: AlertSeverity = AlertSeverity.MEDIUM;

  @Field(() => String, { description: 'The team whose inbox its alerts go to, 1–100 characters.' })
  team!: string;

  @Field(() => Boolean, { defaultValue: true })
  enabled: boolean = true;

  @Field(() => Int, { defaultValue: 0, description: 'Seconds the rule stays quiet for a profile after alerting for it (0–2592000).' })
  cooldownSeconds: number = 0;

  @Field(() => AlertTriggerInput)
  trigger!: AlertTriggerInput;

  @Field(() => AlertConditionsInput, { nullable: true })
  conditions?: AlertConditionsInput | null;

  @Field(() => ID, { nullable: true, description: 'A playbook each firing enrols the profile in (its current version at the time).' })
  playbookId?: string | null;
}

@ArgsType()
export class AlertRuleIdArgs {
  @Field(() => ID)
  @IsUUID()
  id!: string;
}

@ArgsType()
export class AlertRulesArgs {
  @Field(() => Boolean, { defaultValue: false })
  @IsOptional()
  includeArchived: boolean = false;
}
