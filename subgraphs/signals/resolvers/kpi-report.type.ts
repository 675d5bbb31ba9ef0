import { Field, Float, Int, ObjectType } from 'type-graphql';

import { KpiReportEntity, KpiReportKey } from '../../common/kpi-report.type';

/** The `KpiReport` entity as signals sees it (fields, key and description: common/kpi-report.type.ts). */
@KpiReportEntity()
export class KpiReport extends KpiReportKey {}

@ObjectType({ description: 'NPS of one week of the period (weeks counted from `from`).' })
export class KpiNpsWeek {
  @Field(() => Date)
  weekStart!: Date;

  @Field(() => Int)
  responses!: number;

  @Field(() => Float, { nullable: true, description: 'Null below 30 responses.' })
  score!: number | null;
}

@ObjectType({ description: 'Net Promoter Score of the survey events in the period (KPI_NPS_EVENT with its 0–10 KPI_NPS_PROPERTY; default `NPS Submitted` / `score`).' })
export class KpiNps {
  @Field(() => Int)
  responses!: number;

  @Field(() => Int, { description: 'Answers 9–10.' })
  promoters!: number;

  @Field(() => Int, { description: 'Answers 7–8.' })
  passives!: number;

  @Field(() => Int, { description: 'Answers 0–6.' })
  detractors!: number;

  @Field(() => Float, { nullable: true, description: '(promoters − detractors) / responses × 100; null below 30 responses.' })
  score!: number | null;

  @Field(() => [KpiNpsWeek], { description: 'The trend: every week of the period with a response, oldest first.' })
  byWeek!: KpiNpsWeek[];

  @Field(() => String, { nullable: true })
  sampleNote!: string | null;
}
