import { Field, Float, Int, ObjectType } from 'type-graphql';

import { KpiReportEntity, KpiReportKey } from '../../common/kpi-report.type';
import type { RateEstimate } from '../domain/action-kpis';
import { ImpactEstimate } from './measurement.type';

/** The `KpiReport` entity as actions sees it (fields, key and description: common/kpi-report.type.ts). */
@KpiReportEntity()
export class KpiReport extends KpiReportKey {}

@ObjectType({ description: 'Alerts about a customer raised in the period (less false positives) and the share resolved SAVED: the customer kept before churning or having to contact support.' })
export class KpiProactiveResolution {
  @Field(() => Int)
  alerts!: number;

  @Field(() => Int)
  resolvedProactively!: number;

  @Field(() => ImpactEstimate, { nullable: true, description: 'resolvedProactively / alerts with its Wilson interval; null below 30 alerts.' })
  rate!: ImpactEstimate | null;

  @Field(() => String, { nullable: true })
  sampleNote!: string | null;
}

@ObjectType({ description: 'One arm of the next-best-action accuracy.' })
export class KpiGoalArm {
  @Field(() => Int, { description: 'Customers assigned to the arm in the period, over every playbook.' })
  customers!: number;

  @Field(() => Int, { description: 'Of those, customers whose playbook goal happened in its window: not churning (CHURNED outcome), the event (CONVERTED, REVENUE).' })
  goalsMet!: number;

  @Field(() => ImpactEstimate, { nullable: true, description: 'goalsMet / customers (Wilson interval); null when the arm is empty.' })
  rate!: ImpactEstimate | null;
}

@ObjectType({ description: 'Share of treated customers whose playbook goal followed vs the holdout’s share, for customers assigned in the period (open windows count as they stand, both arms alike).' })
export class KpiNextBestAction {
  @Field(() => KpiGoalArm)
  treated!: KpiGoalArm;

  @Field(() => KpiGoalArm)
  control!: KpiGoalArm;

  @Field(() => ImpactEstimate, { nullable: true, description: 'Treated rate − control rate (Newcombe interval); null below 30 customers per arm.' })
  difference!: ImpactEstimate | null;

  @Field(() => String, { nullable: true })
  sampleNote!: string | null;
}

@ObjectType({ description: 'Time from an alert being raised (right after the score or signal behind it) to the first message sent by a run it enrolled.' })
export class KpiLatency {
  @Field(() => Int, { description: 'Alerts raised in the period with a first message sent.' })
  count!: number;

  @Field(() => Float, { nullable: true, description: 'Median wait in ms (nearest rank); null below 30 alerts.' })
  p50Ms!: number | null;

  @Field(() => Float, { nullable: true, description: '90th percentile wait in ms (nearest rank); null below 30 alerts.' })
  p90Ms!: number | null;

  @Field(() => String, { nullable: true })
  sampleNote!: string | null;
}

/** The API view of a rate with its interval. */
export const estimateOf = (e: RateEstimate | null): ImpactEstimate | null => (e ? { value: e.value, low: e.lower, high: e.upper } : null);
