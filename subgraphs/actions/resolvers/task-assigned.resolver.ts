import { filter, pipe } from '@graphql-yoga/subscription';
import { IsOptional, Length } from 'class-validator';
import { Args, ArgsType, Field, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';

import { hasScope } from '../../common/auth-context';
import { AppError } from '../../common/errors';
import { TASK_ASSIGNED, type TaskAssignedEvent } from '../../common/pubsub';
import { RequireScope } from '../../common/require-scope';
import { matchesTaskAssigned } from '../domain/task-assigned-filter';
import { Task, type TaskStatusName } from '../entities/task.entity';
import type { ActionsContext } from './actions.context';

@ArgsType()
export class TaskAssignedArgs {
  @Field(() => String, { nullable: true, description: 'Only tasks of this team.' })
  @IsOptional()
  @Length(1, 100)
  team?: string | null;

  @Field(() => String, { nullable: true, description: 'Only tasks given to this assignee.' })
  @IsOptional()
  @Length(1, 200)
  assignee?: string | null;
}

@Resolver()
export class TaskAssignedResolver {
  @RequireScope('profiles:read')
  @Subscription(() => Task, {
    description: 'Tasks of your tenant as they are created, assigned or escalated, filtered by team and assignee; fanned out across instances through Redis.',
    subscribe: ({ args, context }: SubscribeResolverData<unknown, TaskAssignedArgs, ActionsContext>) => {
      if (!hasScope(context.auth.scopes, 'profiles:read')) throw new AppError('FORBIDDEN', 'missing scope profiles:read');
      return pipe(
        context.pubSub.subscribe(TASK_ASSIGNED, context.tenantId),
        filter((event: TaskAssignedEvent) => event.tenantId === context.tenantId && matchesTaskAssigned(event, args)),
      );
    },
  })
  taskAssigned(@Root() event: TaskAssignedEvent, @Args() _args: TaskAssignedArgs): Task {
    return Object.assign(new Task(), {
      id: event.taskId,
      tenantId: event.tenantId,
      profileId: event.profileId,
      runId: event.runId,
      team: event.team,
      title: event.title,
      priority: event.priority,
      status: event.status as TaskStatusName,
      assignee: event.assignee,
      dueAt: event.dueAt ? new Date(event.dueAt) : null,
      escalatedAt: event.escalatedAt ? new Date(event.escalatedAt) : null,
      createdAt: new Date(event.createdAt),
      updatedAt: new Date(event.updatedAt),
    });
  }
}
