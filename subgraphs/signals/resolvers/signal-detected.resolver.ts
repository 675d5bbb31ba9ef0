import { filter, pipe } from '@graphql-yoga/subscription';
import { Args, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';

import { hasScope } from '../../common/auth-context';
import { AppError } from '../../common/errors';
import { SIGNAL_DETECTED, type SignalDetectedEvent } from '../../common/pubsub';
import { RequireScope } from '../../common/require-scope';
import { matchesSignal } from '../domain/friction/signal-filter';
import { SignalDetectedArgs } from './signals.args';
import type { SignalsContext } from './signals.context';
import { DetectedSignal } from './signal.type';

@Resolver()
export class SignalDetectedResolver {
  @RequireScope('risk:subscribe')
  @Subscription(() => DetectedSignal, {
    description: 'Friction signals of your tenant as they are detected, fanned out across instances through Redis.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, SignalDetectedArgs, SignalsContext>) => {
      // refuse at subscribe time rather than on every event
      if (!hasScope(context.auth.scopes, 'risk:subscribe')) throw new AppError('FORBIDDEN', 'missing scope risk:subscribe');
      return pipe(
        context.pubSub.subscribe(SIGNAL_DETECTED, context.tenantId),
        filter((event: SignalDetectedEvent) => event.tenantId === context.tenantId && matchesSignal(event, args)),
      );
    },
  })
  signalDetected(@Root() event: SignalDetectedEvent, @Args() _args: SignalDetectedArgs): DetectedSignal {
    return {
      id: event.signalId,
      type: event.type,
      severity: event.severity,
      summary: event.summary,
      journeyInstanceId: event.journeyInstanceId,
      detectedAt: new Date(event.detectedAt),
      profile: { id: event.profileId },
    };
  }
}
