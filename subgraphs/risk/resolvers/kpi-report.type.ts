import { Field, Float, Int, ObjectType } from 'type-graphql';

import { KpiReportEntity, KpiReportKey } from '../../common/kpi-report.type';

/** The `KpiReport` entity as risk (its owner) sees it (fields, key and description: common/kpi-report.type.ts). */
@KpiReportEntity()
export class KpiReport extends KpiReportKey {}

@ObjectType({ description: 'Mean churn probability of the active base (every profile with a churn score by then, latest score each) at the start and the end of the period.' })
export class KpiChurn {
  @Field(() => Int, { description: 'Profiles with a churn score at `to`.' })
  activeProfiles!: number;

  @Field(() => Int, { description: 'Profiles with a churn score at `from`.' })
  activeProfilesAtStart!: number;

  @Field(() => Float, { nullable: true, description: 'Mean churn probability (0–1) at `to`; null below the minimum sample.' })
  meanProbability!: number | null;

  @Field(() => Float, { nullable: true, description: 'Mean churn probability (0–1) at `from`; null below the minimum sample.' })
  meanProbabilityAtStart!: number | null;

  @Field(() => Float, { nullable: true, description: 'meanProbability − meanProbabilityAtStart, in probability points.' })
  change!: number | null;

  @Field(() => String, { nullable: true, description: 'Why a number is missing, e.g. "12 scored profiles at the start; at least 30 are needed".' })
  sampleNote!: string | null;
}

@ObjectType({ description: 'Σ CLV of the base (latest score of each profile with a CLV) at the start and the end of the period.' })
export class KpiClv {
  @Field(() => Float, { nullable: true })
  totalAtStart!: number | null;

  @Field(() => Float, { nullable: true })
  totalAtEnd!: number | null;

  @Field(() => Float, { nullable: true, description: '(totalAtEnd − totalAtStart) / totalAtStart.' })
  growth!: number | null;

  @Field(() => String, { nullable: true })
  sampleNote!: string | null;
}

@ObjectType({ description: 'Σ churn probability × CLV of the base at the start and the end of the period.' })
export class KpiRevenueAtRisk {
  @Field(() => Float, { nullable: true })
  atStart!: number | null;

  @Field(() => Float, { nullable: true })
  atEnd!: number | null;

  @Field(() => String, { nullable: true })
  sampleNote!: string | null;
}
