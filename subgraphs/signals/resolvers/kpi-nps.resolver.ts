import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { KpiNps, KpiReport } from './kpi-report.type';
import type { SignalsContext } from './signals.context';

@Resolver(() => KpiReport)
export class KpiNpsResolver {
  @RequireScope('risk:read')
  @FieldResolver(() => KpiNps)
  nps(@Root() report: KpiReport, @Ctx() ctx: SignalsContext): Promise<KpiNps> {
    return ctx.services.nps.of(report);
  }
}
