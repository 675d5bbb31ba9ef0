import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';
import type { ScoreReason } from '../domain/evaluate-alert-rules';

export enum AlertStatus {
  OPEN = 'open',
  ACKNOWLEDGED = 'acknowledged',
  RESOLVED = 'resolved',
}
registerEnumType(AlertStatus, { name: 'AlertStatus' });

export enum AlertSeverity {
  LOW = 'low',
  MEDIUM = 'medium',
  HIGH = 'high',
  CRITICAL = 'critical',
}
registerEnumType(AlertSeverity, { name: 'AlertSeverity', description: 'How urgent an alert is, in increasing order.' });

export enum AlertOutcome {
  SAVED = 'saved',
  CHURNED = 'churned',
  FALSE_POSITIVE = 'false_positive',
  NO_ACTION = 'no_action',
}
registerEnumType(AlertOutcome, {
  name: 'AlertOutcome',
  description: 'How an alert ended: the customer was kept (SAVED) or lost (CHURNED), the alert was wrong (FALSE_POSITIVE), or nothing was done (NO_ACTION).',
});

@ObjectType({ description: 'One factor behind the score that raised the alert.' })
export class AlertReason {
  @Field(() => String)
  factor!: string;

  @Field(() => Float)
  contribution!: number;

  @Field(() => String)
  description!: string;

  @Field(() => [String])
  evidence!: string[];
}

/** The `profileId` of an alert about no customer (a playbook's guardrail): the nil UUID. */
export const NO_PROFILE = '00000000-0000-0000-0000-000000000000';

/** Something a team must look at, raised by an alert rule (or, about a playbook, by its guardrail). */
@ObjectType()
@Entity({ tableName: 'alert' })
@Index({ properties: ['tenantId', 'profileId', 'createdAt'] })
@Index({ properties: ['tenantId', 'status'] })
// the KPI report's reads: a tenant's alerts raised in a period
@Index({ properties: ['tenantId', 'createdAt'] })
@Unique({ properties: ['tenantId', 'sourceKey'] })
export class Alert extends TenantEntity {
  @Field(() => ID)
  @Property({ type: 'uuid' })
  profileId!: string;

  @Field(() => String, { description: 'What raised it: `risk_<bucket>` for a bucket entered (e.g. `risk_high`), `risk_threshold` for a threshold crossed, `signal_<type>` for a friction signal (e.g. `signal_retry_loop`), `segment_entered` / `segment_exited` for a segment change, `journey_<state>` for a journey state.' })
  @Property({ type: 'string', length: 64 })
  type!: string;

  @Field(() => Float, { description: 'The risk score (0–100) at the time; for a friction signal, its severity × 100; 0 for a segment change or journey state.' })
  @Property({ type: 'double' })
  score!: number;

  @Field(() => String)
  @Property({ type: 'text' })
  message!: string;

  @Field(() => AlertStatus)
  // plain columns for enums: SQLite's enum CHECK constraints make the schema diff never settle
  @Property({ type: 'string', length: 16 })
  status: Opt<AlertStatus> = AlertStatus.OPEN;

  @Field(() => AlertSeverity)
  @Property({ type: 'string', length: 16, default: 'high' })
  severity: Opt<AlertSeverity> = AlertSeverity.HIGH;

  @Field(() => String, { description: 'The team whose inbox it is in.' })
  @Property({ type: 'string', length: 100, default: 'cx' })
  team: Opt<string> = 'cx';

  @Field(() => ID, { nullable: true, description: 'The rule that raised it (null for alerts raised before rules existed).' })
  @Property({ type: 'uuid', nullable: true })
  ruleId: Opt<string> | null = null;

  @Field(() => Int, { nullable: true, description: 'The rule version it fired under.' })
  @Property({ type: 'integer', nullable: true })
  ruleVersion: Opt<number> | null = null;

  @Field(() => ID, { nullable: true, description: 'The risk score that triggered it.' })
  @Property({ type: 'string', length: 128, nullable: true })
  scoreId: Opt<string> | null = null;

  @Field(() => String, { nullable: true, description: 'Which risk: `churn`, `drop_off`, …' })
  @Property({ type: 'string', length: 64, nullable: true })
  scoreKind: Opt<string> | null = null;

  @Field(() => Float, { nullable: true })
  @Property({ type: 'double', nullable: true })
  previousScore: Opt<number> | null = null;

  @Field(() => String, { nullable: true, description: 'The score’s bucket (`low`, `medium`, `high`).' })
  @Property({ type: 'string', length: 16, nullable: true })
  bucket: Opt<string> | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 16, nullable: true })
  previousBucket: Opt<string> | null = null;

  @Field(() => ID, { nullable: true, description: 'What fired it when not a risk score: the friction signal’s id (a `signal_<type>` alert) the segment membership’s (a `segment_*` alert) or the journey instance’s (a `journey_*` alert).' })
  @Property({ type: 'string', length: 128, nullable: true })
  triggerId: Opt<string> | null = null;

  @Field(() => [AlertReason], { description: 'Why the score is what it is, with evidence (risk’s reasons at the time); for a friction signal, the signal with its events.' })
  // a default for rows stored before rules existed
  @Property({ type: 'json', defaultRaw: `'[]'` })
  reasons: Opt<ScoreReason[]> = [];

  @Field(() => String, { nullable: true })
  @Property({ type: 'string', length: 200, nullable: true })
  assignee: Opt<string> | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  assignedAt: Opt<Date> | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  acknowledgedAt: Opt<Date> | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  resolvedAt: Opt<Date> | null = null;

  @Field(() => AlertOutcome, { nullable: true })
  @Property({ type: 'string', length: 32, nullable: true })
  outcome: Opt<AlertOutcome> | null = null;

  @Field(() => Date, {
    nullable: true,
    description:
      'When the fact behind the alert happened: the score that crossed was computed, the friction signal was detected, the customer entered or left the segment, the journey reached its state. Null for alerts raised before it was kept, and for guardrail alerts.',
  })
  @Property({ type: 'datetime', nullable: true })
  signalAt: Opt<Date> | null = null;

  @Field(() => Date, {
    nullable: true,
    description:
      'When the customer first contacted support or churned after this alert was raised (the tenant’s `supportEvents` and `churnEvents`); an alert resolved SAVED before it, or with none, was resolved proactively.',
  })
  @Property({ type: 'datetime', nullable: true })
  customerActedAt: Opt<Date> | null = null;

  @Field(() => String, { nullable: true })
  @Property({ type: 'text', nullable: true })
  note: Opt<string> | null = null;

  /** Idempotency key: the rule and the score (or signal) that raised it, so a retried job raises one alert. */
  @Property({ type: 'string', length: 128 })
  sourceKey!: string;
}
