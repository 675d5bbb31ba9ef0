import { Ctx, Query, Resolver } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { PipelineStatus } from './pipeline-status.type';
import type { SignalsContext } from './signals.context';

@Resolver()
export class PipelineStatusResolver {
  @RequireScope('admin')
  @Query(() => PipelineStatus, {
    description:
      'How far behind each stage of the event pipeline is (platform-wide counts), and your tenant’s own lag: wait for caughtUp before training on freshly imported history.',
  })
  pipelineStatus(@Ctx() ctx: SignalsContext): Promise<PipelineStatus> {
    return ctx.services.pipeline.status([ctx.tenantId]) as Promise<PipelineStatus>;
  }
}
