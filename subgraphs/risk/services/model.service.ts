import { UniqueConstraintViolationException } from '@mikro-orm/core';

import { AppError } from '../../common/errors';
import { isUuid } from '../../common/ids';
import type { EntityManager } from '../../common/orm';
import { TRAIN_MODEL, type Queues } from '../../common/queues';
import type { ModelQuality } from '../domain/churn/model-quality';
import { ModelKind, ModelStatus, ModelVersion } from '../entities/model-version.entity';
import { forgetActiveModels } from './active-models';

/** Model versions of one tenant: ask for a training, list, activate. Training itself runs in the `train-model` worker. */
export class ModelService {
  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly queues: Queues,
  ) {}

  /** Stores a new version (queued) and queues its training; the job id is the version id. */
  async requestTraining(kind: ModelKind, settings: Record<string, unknown>): Promise<ModelVersion> {
    for (let attempt = 0; ; attempt++) {
      const last = await this.em.findOne(ModelVersion, { tenantId: this.tenantId, kind }, { orderBy: { version: 'desc' }, fields: ['version'] });
      const model = this.em.create(ModelVersion, { tenantId: this.tenantId, kind, version: (last?.version ?? 0) + 1, settings });
      try {
        await this.em.flush();
      } catch (err) {
        // two trainings asked for at once took the same version number: take the next one
        if (!(err instanceof UniqueConstraintViolationException) || attempt >= 3) throw err;
        this.em.clear();
        continue;
      }
      await this.queues.get(TRAIN_MODEL).add(TRAIN_MODEL, { tenantId: this.tenantId, modelId: model.id }, { jobId: `${this.tenantId}-${model.id}`, attempts: 2 });
      return model;
    }
  }

  list(kind?: ModelKind | null): Promise<ModelVersion[]> {
    return this.em.find(ModelVersion, { tenantId: this.tenantId, ...(kind ? { kind } : {}) }, { orderBy: { kind: 'asc', version: 'desc' } });
  }

  get(id: string): Promise<ModelVersion | null> {
    if (!isUuid(id)) return Promise.resolve(null);
    return this.em.findOne(ModelVersion, { tenantId: this.tenantId, id });
  }

  /**
   * Makes this version the one that scores its kind (the previous one is kept, inactive).
   * Refuses a version that is not trained; unless `force`, also a classifier trained on fewer than
   * `minClassExamples` positive or negative examples, or one whose training found it learned
   * nothing (`metrics.quality.informative` false: constant features, chance-level AUC).
   */
  async activate(id: string, minClassExamples: number, force = false): Promise<ModelVersion> {
    const model = await this.get(id);
    if (!model) throw new AppError('NOT_FOUND', `no model ${id}`);
    if (model.status !== ModelStatus.READY) {
      throw new AppError('BAD_USER_INPUT', `model ${model.kind} v${model.version} is ${model.status}${model.error ? ` (${model.error})` : ''}; only a ready model can be activated`);
    }
    if (model.kind !== ModelKind.LIFETIME && !force) {
      const { positives = 0, negatives = 0, quality } = (model.metrics ?? {}) as { positives?: number; negatives?: number; quality?: ModelQuality };
      if (positives < minClassExamples || negatives < minClassExamples) {
        throw new AppError(
          'BAD_USER_INPUT',
          `model ${model.kind} v${model.version} was trained on ${positives} positive and ${negatives} negative examples; ` +
            `at least ${minClassExamples} of each are needed (RISK_MIN_CLASS_EXAMPLES)`,
          { positives, negatives, minClassExamples },
        );
      }
      if (quality && !quality.informative) {
        throw new AppError(
          'BAD_USER_INPUT',
          `model ${model.kind} v${model.version} learned nothing: ${quality.reasons.join('; ')}. Pass force: true to activate it anyway`,
          { reasons: quality.reasons },
        );
      }
    }
    await this.em.transactional(async (tx) => {
      await tx.nativeUpdate(ModelVersion, { tenantId: this.tenantId, kind: model.kind, active: true }, { active: false });
      await tx.nativeUpdate(ModelVersion, { id: model.id }, { active: true, activatedAt: new Date() });
    });
    forgetActiveModels(this.tenantId); // this process scores with it at once; others within the TTL
    return this.em.findOneOrFail(ModelVersion, { id: model.id }, { refresh: true });
  }
}
