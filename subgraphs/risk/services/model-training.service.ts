import type { EntityManager } from '../../common/orm';
import { featureSpec, type FeatureOptions, type TraitFeature } from '../domain/churn/features';
import type { ProfileHistory } from '../domain/churn/history';
import type { FeatureSpec, TrainingExample } from '../domain/churn/logistic-regression';
import { buildDropOffTrainingSet, DROP_OFF_FEATURES, typicalStepTimes } from '../domain/dropoff/journey-features';
import { buildTrainingSet, snapshotDates, type LabelDefinition, type TrainingRow } from '../domain/churn/training-set';
import type { LifetimeModelParams } from '../domain/lifetime/profile-value';
import { buildRfm, type TimeUnit } from '../domain/lifetime/rfm';
import type { ClassifierFitResult, FitResult, FitTask } from '../domain/training/fit-task';
import { ActivityEvent } from '../entities/activity-event.entity';
import { ModelKind, ModelStatus, ModelVersion } from '../entities/model-version.entity';
import { ActivityService } from './activity.service';
import { FitThreadError } from './fit-thread-pool';
import type { ChurnModelParams, DropOffModelParams } from './scoring.service';

/** `trainModel` settings of a churn model, as stored on the version. */
export interface ChurnTrainingSettings {
  label: LabelDefinition;
  events: string[];
  traits: TraitFeature[];
  /** Signal types to use; null: every type the tenant has seen. */
  signalTypes: string[] | null;
  purchaseEvent: string;
  /** Explicit snapshot dates (ISO), or null to space `snapshotCount` of them `snapshotEveryDays` apart. */
  snapshotDates: string[] | null;
  snapshotEveryDays: number;
  snapshotCount: number;
  holdoutFraction: number;
  l2: number;
}

/** `fitLifetimeModel` settings, as stored on the version. */
export interface LifetimeFitSettings {
  calibrationEnd: string;
  timeUnit: TimeUnit;
  horizon: number;
  discountRate: number;
  purchaseEvent: string;
}

/** Fewest repeat buyers the Gamma-Gamma spend model is fitted on; below it CLV stays null. */
const MIN_REPEAT_BUYERS = 10;
const PAGE = 500;

export type ProgressReporter = (fraction: number) => Promise<void>;

/** Runs the CPU-heavy fit (`runFitTask`) somewhere else than the event loop: a `FitThreadPool`. */
export type Fitter = (task: FitTask) => Promise<FitResult>;

/**
 * Fits one model version from risk's copy of the tenant's history and stores params and quality.
 * SQL reads and writes happen here, on the main thread; the fit itself goes to `fitter` as plain data.
 */
export class ModelTrainingService {
  private readonly activity: ActivityService;

  constructor(
    private readonly em: EntityManager,
    private readonly tenantId: string,
    private readonly fitter: Fitter,
    /** Fewest examples of each class a classifier must be trained on to count as informative. */
    private readonly minClassExamples = 20,
  ) {
    this.activity = new ActivityService(em, tenantId);
  }

  /**
   * Trains the version; on a bad dataset the version ends FAILED with the reason (not thrown).
   * `dataWait` (how the wait for data went) is stored with the metrics, in the same write.
   */
  async train(model: ModelVersion, progress: ProgressReporter, dataWait?: object): Promise<ModelVersion> {
    const waitMetrics = dataWait ? { dataWait: { ...dataWait } } : {};
    await this.em.nativeUpdate(ModelVersion, { id: model.id }, { status: ModelStatus.TRAINING, statusReason: null, progress: 0, error: null, metrics: null });
    try {
      const result =
        model.kind === ModelKind.LIFETIME
          ? await this.fitLifetime(model, progress)
          : model.kind === ModelKind.DROP_OFF
            ? await this.trainDropOff(model, progress)
            : await this.trainChurn(model, progress);
      await this.em.nativeUpdate(
        ModelVersion,
        { id: model.id },
        { status: ModelStatus.READY, progress: 1, trainedAt: new Date(), params: result.params, metrics: { ...result.metrics, ...waitMetrics }, features: result.features },
      );
      await progress(1);
    } catch (err) {
      // a fit is deterministic (same rows, same seed): one that threw, crashed its thread or timed
      // out would do the same again, so it fails the version rather than retrying the job
      const reason = err instanceof TrainingDataError ? err.message : err instanceof FitThreadError ? fitFailure(err) : null;
      if (reason === null) throw err; // a crash of the main side (SQL): the job retries
      await this.em.nativeUpdate(ModelVersion, { id: model.id }, { status: ModelStatus.FAILED, error: reason, ...(dataWait ? { metrics: waitMetrics } : {}) });
    }
    return this.em.findOneOrFail(ModelVersion, { id: model.id }, { refresh: true });
  }

  private async trainChurn(model: ModelVersion, progress: ProgressReporter): Promise<TrainedParams> {
    const settings = model.settings as unknown as ChurnTrainingSettings;
    const dataEnd = await this.activity.dataEnd();
    if (!dataEnd) throw new TrainingDataError('the tenant has no events yet');
    const featureOptions: FeatureOptions = {
      purchaseEvent: settings.purchaseEvent,
      events: settings.events,
      traits: settings.traits,
      signalTypes: settings.signalTypes ?? (await this.activity.signalTypes()),
    };
    const snapshots = settings.snapshotDates
      ? settings.snapshotDates.map((d) => new Date(d))
      : snapshotDates(dataEnd, settings.label, settings.snapshotEveryDays, settings.snapshotCount);
    const rows = await this.trainingRows(settings.label, snapshots, dataEnd, featureOptions, (f) => progress(0.8 * f));
    const positives = rows.filter((r) => r.label === 1).length;
    const negatives = rows.length - positives;
    if (positives === 0 || negatives === 0) {
      throw new TrainingDataError(
        `the label gives ${positives} positive and ${negatives} negative examples over ${snapshots.length} snapshots (data ends ${dataEnd.toISOString()}); both classes are needed`,
      );
    }
    const spec = featureSpec(featureOptions);
    const {
      fit: { model: fitted, report },
      quality,
    } = await this.fitClassifier(rows, 'profileId', spec, settings, model.version);
    await progress(0.9);
    const params: ChurnModelParams = { model: fitted, featureOptions };
    return {
      params: params as unknown as Record<string, unknown>,
      features: [...spec.numeric, ...spec.categorical],
      metrics: jsonSafe({
        ...report,
        profiles: report.groups,
        customersUsed: new Set(rows.map((r) => r.profileId)).size,
        eventsUsed: await this.countEvents(dataEnd),
        snapshots: snapshots.map((s) => s.toISOString()),
        dataEnd: dataEnd.toISOString(),
        quality,
      }),
    };
  }

  /**
   * Drop-off: one row per step each finished journey instance went through, labelled by how it
   * ended (abandoned = 1); split by instance.
   */
  private async trainDropOff(model: ModelVersion, progress: ProgressReporter): Promise<TrainedParams> {
    const settings = model.settings as unknown as { holdoutFraction: number; l2: number };
    const snapshots = await this.activity.journeySnapshots();
    const typical = typicalStepTimes(snapshots);
    const rows = buildDropOffTrainingSet(snapshots, typical);
    await progress(0.5);
    const positives = rows.filter((r) => r.label === 1).length;
    const negatives = rows.length - positives;
    if (positives === 0 || negatives === 0) {
      throw new TrainingDataError(`finished journeys give ${positives} abandoned and ${negatives} completed examples; both are needed`);
    }
    const {
      fit: { model: fitted, report },
      quality,
    } = await this.fitClassifier(rows, 'instanceId', DROP_OFF_FEATURES, settings, model.version);
    await progress(0.9);
    const params: DropOffModelParams = { model: fitted, typicalStepMs: Object.fromEntries(typical) };
    return {
      params: params as unknown as Record<string, unknown>,
      features: [...DROP_OFF_FEATURES.numeric, ...DROP_OFF_FEATURES.categorical],
      metrics: jsonSafe({ ...report, instances: report.groups, quality }),
    };
  }

  /**
   * `fitWithHoldout` and whether the model learned anything (stored with its metrics;
   * `activateModel` reads it), on the fitter; its data problems (a RangeError) turned into a
   * failed version with the reason.
   */
  private async fitClassifier<R extends TrainingExample>(
    rows: R[],
    groupBy: keyof R & string,
    spec: FeatureSpec,
    settings: { holdoutFraction: number; l2: number },
    seed: number,
  ): Promise<ClassifierFitResult> {
    try {
      const options = { holdoutFraction: settings.holdoutFraction, l2: settings.l2, seed };
      return expectKind(await this.fitter({ kind: 'classifier', rows, groupBy, spec, options, minClassExamples: this.minClassExamples }), 'classifier');
    } catch (err) {
      if (err instanceof FitThreadError && err.thrownName === 'RangeError') throw new TrainingDataError(`training split: ${err.message}`);
      throw err;
    }
  }

  /** Training rows of every profile with activity, a page of profiles at a time. */
  private async trainingRows(label: LabelDefinition, snapshots: Date[], dataEnd: Date, options: FeatureOptions, progress: ProgressReporter): Promise<TrainingRow[]> {
    const rows: TrainingRow[] = [];
    const total = Math.max(1, await this.countProfiles());
    let done = 0;
    for (let after: string | null = null; ; ) {
      const page = await this.activity.profilePage(after, PAGE);
      if (page.length === 0) break;
      const histories: ProfileHistory[] = [...(await this.activity.histories(page)).values()];
      rows.push(...buildTrainingSet(histories, label, snapshots, dataEnd, options));
      this.em.clear(); // keep the identity map small on big tenants
      done += page.length;
      await progress(Math.min(1, done / total));
      after = page.at(-1)!;
    }
    return rows;
  }

  /** The tenant's events risk holds up to `until` (what a churn training reads from). */
  private countEvents(until: Date): Promise<number> {
    return this.em.count(ActivityEvent, { tenantId: this.tenantId, timestamp: { $lte: until } });
  }

  private async countProfiles(): Promise<number> {
    const [row]: { count?: number | string }[] = await this.em
      .createQueryBuilder(ActivityEvent)
      .count('profileId', true)
      .where({ tenantId: this.tenantId })
      .execute('all', false);
    return Number(row?.count ?? 0);
  }

  private async fitLifetime(model: ModelVersion, progress: ProgressReporter): Promise<TrainedParams> {
    const settings = model.settings as unknown as LifetimeFitSettings;
    const calibrationEnd = new Date(settings.calibrationEnd);
    const purchases = await this.em.find(
      ActivityEvent,
      { tenantId: this.tenantId, name: settings.purchaseEvent },
      { fields: ['profileId', 'timestamp', 'revenue'], orderBy: { timestamp: 'asc' } },
    );
    const transactions = purchases.map((p) => ({ customerId: p.profileId, at: p.timestamp, amount: p.revenue ?? 0 }));
    const rfm = buildRfm(transactions, { calibrationEnd, timeUnit: settings.timeUnit });
    if (rfm.length < 10) throw new TrainingDataError(`${rfm.length} customers bought by ${settings.calibrationEnd}; at least 10 are needed to fit BG/NBD`);
    await progress(0.2);
    const later = transactions.filter((t) => t.at.getTime() > calibrationEnd.getTime()).map(({ customerId, at }) => ({ customerId, at }));
    const task = { kind: 'lifetime', rfm, later, calibrationEnd, timeUnit: settings.timeUnit, minRepeatBuyers: MIN_REPEAT_BUYERS } as const;
    const { bgNbd: bg, gammaGamma: gg, holdout } = expectKind(await this.fitter(task), 'lifetime');
    await progress(0.9);
    const params: LifetimeModelParams = {
      bgNbd: bg.params,
      gammaGamma: gg?.params ?? null,
      timeUnit: settings.timeUnit,
      horizon: settings.horizon,
      discountRate: settings.discountRate,
      purchaseEvent: settings.purchaseEvent,
    };
    return {
      params: params as unknown as Record<string, unknown>,
      features: ['x', 't_x', 'T', 'monetary'],
      metrics: jsonSafe({
        customers: rfm.length,
        customersUsed: rfm.length,
        eventsUsed: purchases.length,
        repeatBuyers: rfm.filter((r) => r.x > 0).length,
        bgNbd: { ...bg.params, logLikelihood: bg.logLikelihood, converged: bg.converged, iterations: bg.iterations },
        gammaGamma: gg ? { ...gg.params, logLikelihood: gg.logLikelihood, converged: gg.converged, customers: gg.customers } : null,
        holdout,
      }),
    };
  }
}

interface TrainedParams {
  params: Record<string, unknown>;
  features: string[];
  metrics: Record<string, unknown>;
}

/** A dataset that cannot give a model: the version fails with this message instead of retrying. */
export class TrainingDataError extends Error {}

/** The version's error when its fit gave no result. */
function fitFailure(err: FitThreadError): string {
  return err.reason === 'threw' ? `the fit failed: ${err.thrownName ?? 'Error'}: ${err.message}` : err.message;
}

/** The fitter's result for the task kind it was given (a mismatch is a bug, and the job retries). */
function expectKind<K extends FitResult['kind']>(result: FitResult, kind: K): Extract<FitResult, { kind: K }> {
  if (result.kind !== kind) throw new Error(`fitter returned a ${result.kind} result for a ${kind} task`);
  return result as Extract<FitResult, { kind: K }>;
}

/** Metrics with NaN/Infinity (e.g. AUC of a one-class holdout) as null, so they survive JSON. */
function jsonSafe<T>(value: T): Record<string, unknown> {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
}
