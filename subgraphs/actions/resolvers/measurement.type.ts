import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

import type { MeasurementSettings } from '../entities/measurement-settings.entity';
import type { ArmReport, ImpactReport } from '../services/playbook-impact.service';
import { PlaybookOutcomeKind } from './playbook.type';

@ObjectType('MeasurementSettings', { description: 'Your tenant’s global control group (customers who get no playbook at all, to measure the programme as a whole) and the events the KPI report reads.' })
export class MeasurementSettingsType {
  @Field(() => Float, { description: 'Share of customers in the global control group (default 0.05).' })
  globalControlFraction!: number;

  @Field(() => Int, { description: 'Days before the group is redrawn (default 30), so nobody is held out of everything for ever.' })
  globalControlPeriodDays!: number;

  @Field(() => [String], { description: 'Event names that mean the customer contacted support: the proactive resolution KPI counts alerts resolved before the first of them.' })
  supportEvents!: string[];

  @Field(() => [String], { description: 'Event names that mean the customer churned, likewise.' })
  churnEvents!: string[];

  @Field(() => Date)
  updatedAt!: Date;
}

/** The API view of the settings: the salt never leaves the subgraph. */
export function measurementSettingsOf(row: MeasurementSettings): MeasurementSettingsType {
  return {
    globalControlFraction: row.globalControlFraction,
    globalControlPeriodDays: row.globalControlPeriodDays,
    supportEvents: row.supportEvents,
    churnEvents: row.churnEvents,
    updatedAt: row.updatedAt,
  };
}

export enum ImpactStatus {
  MEASURED = 'measured',
  INSUFFICIENT_SAMPLE = 'insufficientSample',
}
registerEnumType(ImpactStatus, { name: 'ImpactStatus', description: 'INSUFFICIENT_SAMPLE: too few customers (or outcomes) to show a number; `reason` says which.' });

@ObjectType({ description: 'A point estimate with its interval at the report’s confidence level.' })
export class ImpactEstimate {
  @Field(() => Float)
  value!: number;

  @Field(() => Float)
  low!: number;

  @Field(() => Float)
  high!: number;
}

@ObjectType({ description: 'One arm over the period: customers assigned, how many had the outcome in their window, and the rate (Wilson interval).' })
export class ImpactArm {
  @Field(() => Int)
  customers!: number;

  @Field(() => Int)
  outcomes!: number;

  @Field(() => ImpactEstimate, { nullable: true, description: 'Null when the arm has no customers.' })
  rate!: ImpactEstimate | null;

  @Field(() => Float, { nullable: true, description: 'REVENUE outcome only: mean revenue per customer in the window (customers without the event count as 0); null otherwise or when the arm has no customers.' })
  meanRevenue!: number | null;
}

@ObjectType({ description: 'Sample-ratio-mismatch check (χ²) of the treated/control split against the holdout.' })
export class SampleRatioResult {
  @Field(() => Float)
  pValue!: number;

  @Field(() => Boolean, { description: 'p < 0.001: something other than the hash decided who went where; do not trust the comparison.' })
  flagged!: boolean;
}

@ObjectType({ description: 'What a playbook changed against its holdout over a period (docs/measurement.md).' })
export class PlaybookImpact {
  @Field(() => ID)
  playbookId!: string;

  @Field(() => PlaybookOutcomeKind)
  outcome!: PlaybookOutcomeKind;

  @Field(() => ImpactStatus)
  status!: ImpactStatus;

  @Field(() => String, { nullable: true, description: 'Set when INSUFFICIENT_SAMPLE, e.g. "control has 12 customers; at least 30 per arm are needed".' })
  reason!: string | null;

  @Field(() => Float)
  confidence!: number;

  @Field(() => ImpactArm)
  treated!: ImpactArm;

  @Field(() => ImpactArm)
  control!: ImpactArm;

  @Field(() => ImpactEstimate, { nullable: true, description: 'Absolute uplift in rate points (0..1); positive = the playbook helped. Newcombe interval.' })
  uplift!: ImpactEstimate | null;

  @Field(() => ImpactEstimate, { nullable: true, description: 'Uplift relative to control; null when an arm has no outcomes.' })
  relativeLift!: ImpactEstimate | null;

  @Field(() => Float, { nullable: true, description: 'Two-sided pooled z-test of the rates (REVENUE: Welch t-test of mean revenue per customer), valid read once at the end of a period fixed in advance.' })
  pValue!: number | null;

  @Field(() => ImpactEstimate, { nullable: true, description: 'REVENUE outcome only: mean revenue per customer, treated − control, with a Welch–Satterthwaite t interval.' })
  meanDifference!: ImpactEstimate | null;

  @Field(() => Float, { nullable: true, description: 'REVENUE outcome only: the Welch–Satterthwaite degrees of freedom of meanDifference and pValue.' })
  degreesOfFreedom!: number | null;

  @Field(() => ImpactEstimate, { nullable: true, description: 'uplift × treated customers.' })
  customersRetained!: ImpactEstimate | null;

  @Field(() => Float, { nullable: true, description: 'Mean CLV of the treated at assignment (customers without a known CLV are taken at this mean); null when none was known.' })
  meanClv!: number | null;

  @Field(() => ImpactEstimate, { nullable: true, description: 'uplift × treated × mean CLV (REVENUE: meanDifference × treated customers).' })
  revenueProtected!: ImpactEstimate | null;

  @Field(() => Float, { nullable: true, description: 'Messages sent to the treated × each channel’s costPerMessage.' })
  cost!: number | null;

  @Field(() => ImpactEstimate, { nullable: true, description: '(revenue protected − cost) / cost; null when the cost is 0.' })
  roi!: ImpactEstimate | null;

  @Field(() => SampleRatioResult, { nullable: true })
  sampleRatio!: SampleRatioResult | null;

  @Field(() => ImpactArm, { nullable: true, description: 'The tenant’s global control group over the same period, if any was drawn for this playbook.' })
  globalControl!: ImpactArm | null;
}

const estimate = (e: { value: number; lower: number; upper: number } | null): ImpactEstimate | null => (e ? { value: e.value, low: e.lower, high: e.upper } : null);
const armOf = (a: ArmReport): ImpactArm => ({ customers: a.customers, outcomes: a.outcomes, rate: estimate(a.rate), meanRevenue: a.meanRevenue });

/** The API view of an impact report. */
export function playbookImpactOf(r: ImpactReport): PlaybookImpact {
  const i = r.impact;
  const measured = i.status === 'measured' ? i : null;
  // REVENUE measures revenue directly; the other kinds need a known CLV to turn customers into money
  const money = measured && (measured.meanDifference !== null || r.meanClv !== null) ? measured : null;
  return {
    playbookId: r.playbookId,
    outcome: r.outcome as PlaybookOutcomeKind,
    status: i.status === 'measured' ? ImpactStatus.MEASURED : ImpactStatus.INSUFFICIENT_SAMPLE,
    reason: i.status === 'insufficientSample' ? i.reason : null,
    confidence: r.confidence,
    treated: armOf(r.treatedArm),
    control: armOf(r.controlArm),
    uplift: estimate(measured?.uplift ?? null),
    relativeLift: estimate(measured?.relativeLift ?? null),
    pValue: measured?.pValue ?? null,
    meanDifference: estimate(measured?.meanDifference?.difference ?? null),
    degreesOfFreedom: measured?.meanDifference?.degreesOfFreedom ?? null,
    customersRetained: estimate(measured?.customersRetained ?? null),
    meanClv: r.meanClv,
    revenueProtected: estimate(money?.revenueProtected ?? null),
    cost: r.cost,
    roi: estimate(money?.roi ?? null),
    sampleRatio: i.sampleRatio ? { pValue: i.sampleRatio.pValue, flagged: i.sampleRatio.mismatch } : null,
    globalControl: r.globalControl ? armOf(r.globalControl) : null,
  };
}
