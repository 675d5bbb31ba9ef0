import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import type { ActionsContext } from './actions.context';
import { estimateOf, KpiLatency, KpiNextBestAction, KpiProactiveResolution, KpiReport } from './kpi-report.type';

@Resolver(() => KpiReport)
export class KpiActionsResolver {
  @RequireScope('risk:read')
  @FieldResolver(() => KpiProactiveResolution)
  async proactiveResolutionRate(@Root() report: KpiReport, @Ctx() ctx: ActionsContext): Promise<KpiProactiveResolution> {
    const k = await ctx.services.kpis.proactiveResolution(report);
    return { ...k, rate: estimateOf(k.rate) };
  }

  @RequireScope('risk:read')
  @FieldResolver(() => KpiNextBestAction)
  async nextBestActionAccuracy(@Root() report: KpiReport, @Ctx() ctx: ActionsContext): Promise<KpiNextBestAction> {
    const k = await ctx.services.kpis.nextBestActionAccuracy(report);
    return {
      treated: { ...k.treated, rate: estimateOf(k.treated.rate) },
      control: { ...k.control, rate: estimateOf(k.control.rate) },
      difference: estimateOf(k.difference),
      sampleNote: k.sampleNote,
    };
  }

  @RequireScope('risk:read')
  @FieldResolver(() => KpiLatency)
  signalToFirstAction(@Root() report: KpiReport, @Ctx() ctx: ActionsContext): Promise<KpiLatency> {
    return ctx.services.kpis.signalToFirstAction(report);
  }
}
