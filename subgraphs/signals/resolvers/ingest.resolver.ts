import { Args, Ctx, Mutation, Resolver } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { IngestEventsArgs } from './ingest-events.args';
import { IngestResult } from './ingest-result.type';
import type { SignalsContext } from './signals.context';

@Resolver()
export class IngestResolver {
  @RequireScope('events:write')
  @Mutation(() => IngestResult, {
    description:
      'Stores Segment events (validated and deduplicated by messageId as on the HTTP API) and queues them for processing. Answered only once they are durable.',
  })
  async ingestEvents(@Args() { events }: IngestEventsArgs, @Ctx() ctx: SignalsContext): Promise<IngestResult> {
    const outcome = await ctx.services.ingest.ingest(events, { receivedAt: new Date() });
    return { ...outcome, errorCount: outcome.errorCount ?? outcome.errors.length, notices: outcome.notices ?? [] };
  }
}
