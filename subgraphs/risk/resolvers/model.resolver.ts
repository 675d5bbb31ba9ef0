import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';

import { AppError } from '../../common/errors';
import { RequireScope } from '../../common/require-scope';
import { ModelKind, ModelVersion } from '../entities/model-version.entity';
import type { ChurnTrainingSettings, LifetimeFitSettings } from '../services/model-training.service';
import { FitLifetimeModelInput, LabelActivity, TimeUnitInput, TrainModelInput } from './model.input';
import type { RiskContext } from './risk.context';

@Resolver(() => ModelVersion)
export class ModelResolver {
  @RequireScope('risk:read')
  @Query(() => [ModelVersion], { description: 'Your model versions, newest first per kind.' })
  models(@Arg('kind', () => ModelKind, { nullable: true }) kind: ModelKind | null, @Ctx() ctx: RiskContext): Promise<ModelVersion[]> {
    return ctx.services.models.list(kind);
  }

  @RequireScope('risk:read')
  @Query(() => ModelVersion, { nullable: true })
  model(@Arg('id', () => ID) id: string, @Ctx() ctx: RiskContext): Promise<ModelVersion | null> {
    return ctx.services.models.get(id);
  }

  @RequireScope('admin')
  @Mutation(() => ModelVersion, {
    description: 'Queues the training of a new model version (a background job: poll `model(id) { status progress metrics }`). Activate it with `activateModel`.',
  })
  trainModel(@Arg('input', () => TrainModelInput) input: TrainModelInput, @Ctx() ctx: RiskContext): Promise<ModelVersion> {
    if (input.kind === ModelKind.LIFETIME) throw new AppError('BAD_USER_INPUT', 'lifetime models are fitted with fitLifetimeModel');
    if (input.kind === ModelKind.DROP_OFF) return ctx.services.models.requestTraining(ModelKind.DROP_OFF, { holdoutFraction: input.holdoutFraction, l2: input.l2 });
    return ctx.services.models.requestTraining(ModelKind.CHURN, churnSettings(input) as unknown as Record<string, unknown>);
  }

  @RequireScope('admin')
  @Mutation(() => ModelVersion, { description: 'Queues a BG/NBD + Gamma-Gamma fit on your `Order Completed` events (P(alive), CLV).' })
  fitLifetimeModel(@Arg('input', () => FitLifetimeModelInput) input: FitLifetimeModelInput, @Ctx() ctx: RiskContext): Promise<ModelVersion> {
    const settings: LifetimeFitSettings = {
      calibrationEnd: input.calibrationEnd.toISOString(),
      timeUnit: input.timeUnit ?? TimeUnitInput.WEEKS,
      horizon: input.horizon,
      discountRate: input.discountRate,
      purchaseEvent: input.purchaseEvent,
    };
    return ctx.services.models.requestTraining(ModelKind.LIFETIME, settings as unknown as Record<string, unknown>);
  }

  @RequireScope('admin')
  @Mutation(() => ModelVersion, {
    description:
      'Makes a ready version the one that scores its kind; the previous one is kept. A classifier that learned nothing (`metrics.quality.informative` false) or had too few examples of a class is refused unless `force` is true.',
  })
  activateModel(
    @Arg('id', () => ID) id: string,
    @Arg('force', () => Boolean, { nullable: true, description: 'Activate even a model that learned nothing. Default false.' }) force: boolean | null,
    @Ctx() ctx: RiskContext,
  ): Promise<ModelVersion> {
    return ctx.services.models.activate(id, ctx.minClassExamples, force === true);
  }
}

function churnSettings(input: TrainModelInput): ChurnTrainingSettings {
  const label = input.label;
  if (!label) throw new AppError('BAD_USER_INPUT', 'label: required for a CHURN model');
  const byEvent = label.event != null || label.withinDays != null;
  if (byEvent === (label.inactiveDays != null)) {
    throw new AppError('BAD_USER_INPUT', 'label: give either `event` with `withinDays`, or `inactiveDays`');
  }
  if (byEvent && (!label.event || label.withinDays == null)) throw new AppError('BAD_USER_INPUT', 'label: `event` and `withinDays` go together');
  return {
    label: byEvent ? { kind: 'event', event: label.event!, withinDays: label.withinDays! } : { kind: 'inactivity', days: label.inactiveDays!, activity: label.activity ?? LabelActivity.ANY },
    events: input.features?.events ?? [],
    traits: (input.features?.traits ?? []).map((t) => ({ name: t.name, type: t.type })),
    signalTypes: input.features?.signalTypes ?? null,
    purchaseEvent: input.purchaseEvent,
    snapshotDates: input.snapshotDates?.map((d) => d.toISOString()) ?? null,
    snapshotEveryDays: input.window?.everyDays ?? 14,
    snapshotCount: input.window?.count ?? 6,
    holdoutFraction: input.holdoutFraction,
    l2: input.l2,
  };
}
