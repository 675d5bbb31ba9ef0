import { Entity, Index, Property, Unique, type Opt } from '@mikro-orm/core';
import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';

import { TenantEntity } from '../../common/base.entity';

export enum ModelKind {
  CHURN = 'churn',
  DROP_OFF = 'drop_off',
  LIFETIME = 'lifetime',
}
registerEnumType(ModelKind, {
  name: 'ModelKind',
  description: 'CHURN: the tenant-labelled outcome classifier; DROP_OFF: journey drop-off classifier; LIFETIME: BG/NBD + Gamma-Gamma.',
});

export enum ModelStatus {
  QUEUED = 'queued',
  /** Waiting for the events accepted before the request to reach risk (see `metrics.waitingForData`). */
  WAITING_FOR_DATA = 'waiting_for_data',
  TRAINING = 'training',
  READY = 'ready',
  FAILED = 'failed',
}
registerEnumType(ModelStatus, {
  name: 'ModelStatus',
  description:
    'QUEUED → WAITING_FOR_DATA (events accepted before the request are still on their way to risk; metrics.waitingForData says what is missing) → TRAINING → READY or FAILED.',
});

/**
 * One trained (or training) version of a tenant's model. Versions are never overwritten: a new
 * training makes a new row, and `activateModel` picks which one scores.
 */
@ObjectType('Model', { description: 'A version of one of your models, with how well it did on held-out data.' })
@Entity({ tableName: 'model_version' })
@Unique({ properties: ['tenantId', 'kind', 'version'] })
@Index({ properties: ['tenantId', 'kind', 'active'] })
export class ModelVersion extends TenantEntity {
  @Field(() => ModelKind)
  @Property({ type: 'string', length: 16 })
  kind!: ModelKind;

  @Field(() => Int, { description: '1, 2, … per kind.' })
  @Property({ type: 'integer' })
  version!: number;

  @Field(() => ModelStatus)
  @Property({ type: 'string', length: 16 })
  status: Opt<ModelStatus> = ModelStatus.QUEUED;

  @Field(() => String, {
    nullable: true,
    description:
      'Why the version is not training yet, while it waits (e.g. "waiting for training <model id> of this tenant to finish": one training per tenant at a time); null once it starts.',
  })
  @Property({ type: 'string', length: 255, nullable: true })
  statusReason: Opt<string> | null = null;

  @Field(() => Boolean, { description: 'Whether this version scores now (one per kind).' })
  @Property({ type: 'boolean' })
  active: Opt<boolean> = false;

  @Field(() => Float, { description: 'Training progress, 0–1.' })
  @Property({ type: 'double' })
  progress: Opt<number> = 0;

  @Field(() => GraphQLJSONObject, { description: 'What was asked for: label, features, snapshots, holdout, l2 (or the lifetime settings).' })
  @Property({ type: 'json' })
  settings!: Record<string, unknown>;

  @Field(() => [String], { description: 'Features the model uses (after training).' })
  @Property({ type: 'json' })
  features: Opt<string[]> = [];

  /** The fitted parameters (coefficients, encodings; or BG/NBD and Gamma-Gamma parameters). */
  @Property({ type: 'json', nullable: true })
  params: Opt<Record<string, unknown>> | null = null;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Quality on held-out data (ROC AUC, PR AUC, log loss, calibration, lift, class balance, rows), or the lifetime fit.',
  })
  @Property({ type: 'json', nullable: true })
  metrics: Opt<Record<string, unknown>> | null = null;

  @Field(() => String, { nullable: true, description: 'Why training failed.' })
  @Property({ type: 'text', nullable: true })
  error: Opt<string> | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  trainedAt: Opt<Date> | null = null;

  @Field(() => Date, { nullable: true })
  @Property({ type: 'datetime', nullable: true })
  activatedAt: Opt<Date> | null = null;
}

