import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { PlaybookRun } from '../entities/playbook-run.entity';
import type { ActionsContext } from './actions.context';
import { TriggerActionInput } from './trigger-action.input';

@Resolver()
export class TriggerActionResolver {
  @RequireScope('actions:write')
  @Mutation(() => PlaybookRun, {
    description: 'A one-off send, task, webhook or trait update for a profile, through the same queue, outbox, guardrails and ledger as a playbook step; idempotent by `input.key`.',
  })
  triggerAction(@Arg('input', () => TriggerActionInput) input: TriggerActionInput, @Ctx() ctx: ActionsContext): Promise<PlaybookRun> {
    return ctx.services.actions.trigger(ctx.stepQueue, input);
  }
}
