import { Directive, Field, Float, Int, ObjectType } from 'type-graphql';

/** The `KpiReport` entity (owned by `risk`) as signals sees it: its key, extended with `nps`. */
@ObjectType('KpiReport')
@Directive('@key(fields: "from to")')
export class KpiReport {
  @Field(() => Date)
  from!: Date;

  @Field(() => Date)
  to!: Date;
}

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
