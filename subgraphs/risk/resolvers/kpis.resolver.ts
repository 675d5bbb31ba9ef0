import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';

import { kpiPeriodOf } from '../../common/kpi-period';
import { RequireScope } from '../../common/require-scope';
import { KpiChurn, KpiClv, KpiReport, KpiRevenueAtRisk } from './kpi-report.type';
import { KpisArgs } from './kpis.args';
import type { RiskContext } from './risk.context';

@Resolver(() => KpiReport)
export class KpisResolver {
  @RequireScope('risk:read')
  @Query(() => KpiReport, {
    description:
      'KPIs of your tenant over [from, to) (at most 366 days; otherwise BAD_USER_INPUT). Every part says in `sampleNote` when its sample is too small to show a number.',
  })
  kpis(@Args() { from, to }: KpisArgs): KpiReport {
    return kpiPeriodOf(from, to);
  }

  @RequireScope('risk:read')
  @FieldResolver(() => KpiChurn)
  async churn(@Root() report: KpiReport, @Ctx() ctx: RiskContext): Promise<KpiChurn> {
    return (await ctx.services.kpis.of(report)).churn;
  }

  @RequireScope('risk:read')
  @FieldResolver(() => KpiClv)
  async clv(@Root() report: KpiReport, @Ctx() ctx: RiskContext): Promise<KpiClv> {
    return (await ctx.services.kpis.of(report)).clv;
  }

  @RequireScope('risk:read')
  @FieldResolver(() => KpiRevenueAtRisk)
  async revenueAtRisk(@Root() report: KpiReport, @Ctx() ctx: RiskContext): Promise<KpiRevenueAtRisk> {
    return (await ctx.services.kpis.of(report)).revenueAtRisk;
  }
}
