import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import { encodeAlertCursor } from '../domain/alert-cursor';
import { DeliveryReport } from '../entities/delivery-report.entity';
import { PlaybookRun } from '../entities/playbook-run.entity';
import { StepDelivery } from '../entities/step-delivery.entity';
import { Task } from '../entities/task.entity';
import type { ActionsContext } from './actions.context';
import { LedgerArgs, StepDeliveryIdArgs } from './ledger.args';
import { AssignTaskArgs, CompleteTaskArgs, CreateTaskInput, EnrollArgs, PageArgs, PlaybookIdArgs, PlaybookInput, PlaybooksArgs, RunIdArgs, RunsArgs, TasksArgs } from './playbook.input';
import { Playbook, playbookOf } from './playbook.type';
import { Profile } from './profile.type';

@Resolver(() => Playbook)
export class PlaybookResolver {
  @RequireScope('admin')
  @Query(() => [Playbook], { description: 'Your tenant’s playbooks at their current versions, oldest first.' })
  async playbooks(@Args() { includeArchived }: PlaybooksArgs, @Ctx() ctx: ActionsContext): Promise<Playbook[]> {
    return (await ctx.services.playbooks.list(includeArchived)).map(playbookOf);
  }

  @RequireScope('admin')
  @Query(() => Playbook, { nullable: true, description: 'One playbook at its current version.' })
  async playbook(@Args() { id }: PlaybookIdArgs, @Ctx() ctx: ActionsContext): Promise<Playbook | null> {
    const row = await ctx.services.playbooks.get(id);
    return row ? playbookOf(row) : null;
  }

  @RequireScope('admin')
  @Mutation(() => Playbook, { description: 'Creates a playbook (version 1). Invalid input is BAD_USER_INPUT naming each field.' })
  async createPlaybook(@Arg('input', () => PlaybookInput) input: PlaybookInput, @Ctx() ctx: ActionsContext): Promise<Playbook> {
    return playbookOf(await ctx.services.playbooks.create(input));
  }

  @RequireScope('admin')
  @Mutation(() => Playbook, { description: 'Stores a new version; runs going on keep theirs.' })
  async updatePlaybook(@Args() { id }: PlaybookIdArgs, @Arg('input', () => PlaybookInput) input: PlaybookInput, @Ctx() ctx: ActionsContext): Promise<Playbook> {
    return playbookOf(await ctx.services.playbooks.update(id, input));
  }

  @RequireScope('admin')
  @Mutation(() => Playbook, { description: 'Stops enrolments for good. Idempotent.' })
  async archivePlaybook(@Args() { id }: PlaybookIdArgs, @Ctx() ctx: ActionsContext): Promise<Playbook> {
    return playbookOf(await ctx.services.playbooks.archive(id));
  }

  @RequireScope('admin')
  @Mutation(() => Playbook, { description: 'Lifts a pause (by a guardrail): the playbook enrols again; guardrails count from now on. Idempotent.' })
  async resumePlaybook(@Args() { id }: PlaybookIdArgs, @Ctx() ctx: ActionsContext): Promise<Playbook> {
    return playbookOf(await ctx.services.playbooks.resume(id));
  }
}

@Resolver(() => PlaybookRun)
export class PlaybookRunResolver {
  @RequireScope('profiles:read')
  @Query(() => [PlaybookRun], { description: 'Playbook runs, newest first; page with `after` = the last run’s `cursor`.' })
  runs(@Args() { filter, first, after }: RunsArgs, @Ctx() ctx: ActionsContext): Promise<PlaybookRun[]> {
    return ctx.services.runs.list(filter ?? {}, first, after);
  }

  @FieldResolver(() => String, { description: 'Opaque position in `runs`.' })
  cursor(@Root() run: PlaybookRun): string {
    return encodeAlertCursor(run.id);
  }

  @RequireScope('actions:write')
  @Mutation(() => PlaybookRun, { description: 'Enrols a profile; CONFLICT when it already has a live run of the playbook.' })
  enrollInPlaybook(@Args() { playbookId, profileId, traits }: EnrollArgs, @Ctx() ctx: ActionsContext): Promise<PlaybookRun> {
    return ctx.services.runs.enrolOne(ctx.stepQueue, playbookId, profileId, `api:${ctx.requestId}`, traits);
  }

  @RequireScope('actions:write')
  @Mutation(() => PlaybookRun, { description: 'Ends a live run now, also during a wait.' })
  cancelRun(@Args() { runId }: RunIdArgs, @Ctx() ctx: ActionsContext): Promise<PlaybookRun> {
    return ctx.services.runs.cancel(runId);
  }
}

@Resolver(() => Task)
export class TaskResolver {
  @RequireScope('profiles:read')
  @Query(() => [Task], { description: 'Tasks, newest first; page with `after` = the last task’s `cursor`.' })
  tasks(@Args() { filter, first, after }: TasksArgs, @Ctx() ctx: ActionsContext): Promise<Task[]> {
    return ctx.services.tasks.list(filter ?? {}, first, after);
  }

  @FieldResolver(() => String, { description: 'Opaque position in `tasks`.' })
  cursor(@Root() task: Task): string {
    return encodeAlertCursor(task.id);
  }

  @RequireScope('actions:write')
  @Mutation(() => Task)
  createTask(@Arg('input', () => CreateTaskInput) input: CreateTaskInput, @Ctx() ctx: ActionsContext): Promise<Task> {
    return ctx.services.tasks.create(input);
  }

  @RequireScope('actions:write')
  @Mutation(() => Task)
  assignTask(@Args() { taskId, assignee }: AssignTaskArgs, @Ctx() ctx: ActionsContext): Promise<Task> {
    return ctx.services.tasks.assign(taskId, assignee);
  }

  @RequireScope('actions:write')
  @Mutation(() => Task, { description: 'Closes a task with its outcome. The same call again changes nothing; another outcome is a CONFLICT.' })
  completeTask(@Args() { taskId, outcome, note }: CompleteTaskArgs, @Ctx() ctx: ActionsContext): Promise<Task> {
    return ctx.services.tasks.complete(taskId, outcome, note);
  }
}

@Resolver(() => StepDelivery)
export class StepDeliveryResolver {
  @RequireScope('profiles:read')
  @Query(() => [StepDelivery], {
    description: 'The delivery ledger of your whole tenant, newest first, filtered: every playbook send and one-off action. Page with `after` = the last entry’s `cursor` to export it.',
  })
  ledger(@Args() { filter, first, after }: LedgerArgs, @Ctx() ctx: ActionsContext): Promise<StepDelivery[]> {
    return ctx.services.ledger.listAll(filter ?? {}, first, after);
  }

  @RequireScope('actions:write')
  @Mutation(() => StepDelivery, {
    description:
      'Sends a dead-lettered (failed) entry again: a fresh provider call for the same message, rendered from the current traits, recorded on the same entry (`replays` + 1). The run is not rewound. CONFLICT unless the entry is failed.',
  })
  replaySend(@Args() { id }: StepDeliveryIdArgs, @Ctx() ctx: ActionsContext): Promise<StepDelivery> {
    return ctx.services.replays.request(id);
  }

  @FieldResolver(() => String, { description: 'Opaque position in `Profile.actions` and `ledger`.' })
  cursor(@Root() row: StepDelivery): string {
    return encodeAlertCursor(row.id);
  }

  @FieldResolver(() => [DeliveryReport], {
    description: 'What the provider reported after the send (delivered, bounced, complained), oldest first; empty until a report arrives. `status` stays the send’s own outcome.',
  })
  reports(@Root() row: StepDelivery, @Ctx() ctx: ActionsContext): Promise<DeliveryReport[]> {
    return ctx.services.ledger.reportsOn(row.id);
  }
}

@Resolver(() => Profile)
export class ProfileActionsResolver {
  @RequireScope('profiles:read')
  @FieldResolver(() => [Task], { description: 'Tasks about this profile, newest first.' })
  tasks(@Root() profile: Profile, @Args() { filter, first, after }: TasksArgs, @Ctx() ctx: ActionsContext): Promise<Task[]> {
    return ctx.services.tasks.list({ ...filter, profileId: profile.id }, first, after);
  }

  @RequireScope('profiles:read')
  @FieldResolver(() => [StepDelivery], { description: 'The delivery ledger: every playbook send for this profile, newest first.' })
  actions(@Root() profile: Profile, @Args() { first, after }: PageArgs, @Ctx() ctx: ActionsContext): Promise<StepDelivery[]> {
    return ctx.services.ledger.list(profile.id, first, after);
  }
}
