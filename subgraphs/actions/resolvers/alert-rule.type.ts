import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

import type { AlertTrigger } from '../domain/alert-rule';
import { conditionsItsTriggerCannotMeet } from '../domain/validate-alert-rule';
import { AlertSeverity } from '../entities/alert.entity';
import type { AlertRuleVersion } from '../entities/alert-rule-version.entity';

export enum AlertTriggerType {
  RISK_CROSSING = 'risk_crossing',
  FRICTION_SIGNAL = 'friction_signal',
  SEGMENT = 'segment',
  JOURNEY = 'journey',
}
registerEnumType(AlertTriggerType, {
  name: 'AlertTriggerType',
  description: 'What fires a rule: RISK_CROSSING on risk changes, FRICTION_SIGNAL on friction signals, SEGMENT on segment entries and exits, JOURNEY on journey instances reaching a state (ACTIVE: the journey started).',
});

export enum CrossingDirection {
  UP = 'up',
  DOWN = 'down',
}
registerEnumType(CrossingDirection, { name: 'CrossingDirection' });

@ObjectType({ description: 'What fires a rule; the fields of its `type` are set, the others are null.' })
export class AlertRuleTrigger {
  @Field(() => AlertTriggerType)
  type!: AlertTriggerType;

  @Field(() => String, { nullable: true, description: 'RISK_CROSSING: the score kind (`churn`, `drop_off`); null = every kind.' })
  riskKind!: string | null;

  @Field(() => String, { nullable: true, description: 'RISK_CROSSING: the bucket to enter (`low`, `medium`, `high`).' })
  bucket!: string | null;

  @Field(() => Float, { nullable: true, description: 'RISK_CROSSING: the score (0–100) to cross.' })
  threshold!: number | null;

  @Field(() => CrossingDirection, { nullable: true })
  direction!: CrossingDirection | null;

  @Field(() => Float, { nullable: true, description: 'RISK_CROSSING with a threshold: points the score must move back past the threshold before the rule can fire again.' })
  hysteresis!: number | null;

  @Field(() => String, { nullable: true, description: 'FRICTION_SIGNAL: the signal type.' })
  signalType!: string | null;

  @Field(() => Float, { nullable: true, description: 'FRICTION_SIGNAL: the least severity (0–1).' })
  minSeverity!: number | null;

  @Field(() => ID, { nullable: true, description: 'SEGMENT: the segment.' })
  segmentId!: string | null;

  @Field(() => String, { nullable: true, description: 'SEGMENT: `entered` or `exited`.' })
  segmentChange!: string | null;

  @Field(() => ID, { nullable: true, description: 'JOURNEY: the journey (null: any).' })
  journeyId!: string | null;

  @Field(() => String, { nullable: true, description: 'JOURNEY: `active` (the journey started), `stalled` (at any step), `completed` or `abandoned`.' })
  journeyState!: string | null;
}

@ObjectType({ description: 'Facts that must also hold when the trigger fires (AND).' })
export class AlertRuleConditions {
  @Field(() => Float, { nullable: true, description: 'The score’s revenue at risk must be above this.' })
  revenueAtRiskAbove!: number | null;

  @Field(() => Float, { nullable: true, description: 'The score’s customer lifetime value must be above this.' })
  clvAbove!: number | null;

  @Field(() => [ID], { description: 'The profile must be in one of these segments (empty: no condition).' })
  segmentIds!: string[];
}

@ObjectType({ description: 'An alert rule of your tenant, at its current version.' })
export class AlertRule {
  @Field(() => ID, { description: 'Stable across versions.' })
  id!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => String)
  name!: string;

  @Field(() => Boolean)
  enabled!: boolean;

  @Field(() => Boolean)
  archived!: boolean;

  @Field(() => Boolean, { description: 'The default rule every tenant starts with (alert on entering High).' })
  builtIn!: boolean;

  @Field(() => AlertSeverity)
  severity!: AlertSeverity;

  @Field(() => String)
  team!: string;

  @Field(() => Int, { description: 'After alerting for a profile, the rule stays quiet for that profile this many seconds.' })
  cooldownSeconds!: number;

  @Field(() => AlertRuleTrigger)
  trigger!: AlertRuleTrigger;

  @Field(() => AlertRuleConditions)
  conditions!: AlertRuleConditions;

  @Field(() => ID, { nullable: true, description: 'The playbook each firing enrols the profile in.' })
  playbookId!: string | null;

  @Field(() => Date, { description: 'When this version was stored.' })
  versionCreatedAt!: Date;

  @Field(() => [String], {
    description:
      'Why this version can never fire as written, one `field: reason` each (a CLV or revenue condition on a trigger that carries neither, stored before such rules were refused); empty for a sound rule. `updateAlertRule` without the condition mends it.',
  })
  problems!: string[];
}

/** A stored version as the API shows it. */
export function alertRuleOf(row: AlertRuleVersion): AlertRule {
  return {
    id: row.ruleId,
    version: row.version,
    name: row.name,
    enabled: row.enabled,
    archived: row.archived,
    builtIn: row.builtIn,
    severity: row.severity as AlertSeverity,
    team: row.team,
    cooldownSeconds: row.cooldownSeconds,
    trigger: triggerOf(row.trigger),
    conditions: {
      revenueAtRiskAbove: row.conditions?.revenueAtRiskAbove ?? null,
      clvAbove: row.conditions?.clvAbove ?? null,
      segmentIds: [...(row.conditions?.segmentIds ?? [])],
    },
    playbookId: row.playbookId,
    versionCreatedAt: row.createdAt,
    problems: conditionsItsTriggerCannotMeet(row.trigger, row.conditions).map((p) => `${p.field}: ${p.message}`),
  };
}

function triggerOf(t: AlertTrigger): AlertRuleTrigger {
  const none: AlertRuleTrigger = {
    type: t.type as AlertTriggerType,
    riskKind: null,
    bucket: null,
    threshold: null,
    direction: null,
    hysteresis: null,
    signalType: null,
    minSeverity: null,
    segmentId: null,
    segmentChange: null,
    journeyId: null,
    journeyState: null,
  };
  switch (t.type) {
    case 'risk_crossing':
      return t.bucket !== undefined
        ? { ...none, riskKind: t.kind, bucket: t.bucket }
        : { ...none, riskKind: t.kind, threshold: t.threshold, direction: t.direction as CrossingDirection, hysteresis: t.hysteresis };
    case 'friction_signal':
      return { ...none, signalType: t.signalType, minSeverity: t.minSeverity };
    case 'segment':
      return { ...none, segmentId: t.segmentId, segmentChange: t.change };
    case 'journey':
      return { ...none, journeyId: t.journeyId, journeyState: t.state };
  }
}
