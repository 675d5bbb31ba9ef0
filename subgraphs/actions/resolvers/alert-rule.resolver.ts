import { Arg, Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';

import { RequireScope } from '../../common/require-scope';
import type { ActionsContext } from './actions.context';
import { AlertRuleIdArgs, AlertRuleInput, AlertRulesArgs } from './alert-rule.input';
import { AlertRule, alertRuleOf } from './alert-rule.type';

@Resolver(() => AlertRule)
export class AlertRuleResolver {
  @RequireScope('admin')
  @Query(() => [AlertRule], { description: 'Your tenant’s alert rules at their current versions, oldest first (the default rule included).' })
  async alertRules(@Args() { includeArchived }: AlertRulesArgs, @Ctx() ctx: ActionsContext): Promise<AlertRule[]> {
    return (await ctx.services.alertRules.list(includeArchived)).map(alertRuleOf);
  }

  @RequireScope('admin')
  @Query(() => AlertRule, { nullable: true, description: 'One rule at its current version.' })
  async alertRule(@Args() { id }: AlertRuleIdArgs, @Ctx() ctx: ActionsContext): Promise<AlertRule | null> {
    const row = await ctx.services.alertRules.get(id);
    return row ? alertRuleOf(row) : null;
  }

  @RequireScope('admin')
  @Mutation(() => AlertRule, { description: 'Creates a rule (version 1). Invalid input is BAD_USER_INPUT naming each field.' })
  async createAlertRule(@Arg('input', () => AlertRuleInput) input: AlertRuleInput, @Ctx() ctx: ActionsContext): Promise<AlertRule> {
    return alertRuleOf(await ctx.services.alertRules.create(input));
  }

  @RequireScope('admin')
  @Mutation(() => AlertRule, { description: 'Replaces a rule with a new version; alerts keep the version they fired under.' })
  async updateAlertRule(@Args() { id }: AlertRuleIdArgs, @Arg('input', () => AlertRuleInput) input: AlertRuleInput, @Ctx() ctx: ActionsContext): Promise<AlertRule> {
    return alertRuleOf(await ctx.services.alertRules.update(id, input));
  }

  @RequireScope('admin')
  @Mutation(() => AlertRule, { description: 'Stops a rule for good; it stays listed with `includeArchived`. Idempotent.' })
  async archiveAlertRule(@Args() { id }: AlertRuleIdArgs, @Ctx() ctx: ActionsContext): Promise<AlertRule> {
    return alertRuleOf(await ctx.services.alertRules.archive(id));
  }
}
