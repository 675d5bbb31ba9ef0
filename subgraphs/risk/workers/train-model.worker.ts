import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq';

import { isUuid } from '../../common/ids';
import { TRAIN_MODEL, workerOptions, type JobPayloads } from '../../common/queues';
import type { SubgraphDeps } from '../../common/run-subgraph';
import { safeErrorMessage } from '../../common/safe-error';
import { forkForTenant } from '../../common/tenant-filter';
import { decideDataWait, type DataWaitReport } from '../domain/training/data-wait';
import { WAITING_FOR_DATA_REASON, waitingForTrainingReason } from '../domain/training/status-reason';
import { ModelStatus, ModelVersion } from '../entities/model-version.entity';
import { fitPoolFor, type FitPoolDeps } from '../services/fit-thread-pool';
import { readDataArrival, requestWatermark } from '../services/training-data-arrival';
import { ModelTrainingService } from '../services/model-training.service';
import { TenantTrainingLock } from '../services/tenant-training-lock';

export type TrainModelJob = JobPayloads[typeof TRAIN_MODEL];

/** What a training needs: the ORM and log, and where to fit (`fitPoolFor`: `fitPool`, else config and shutdown). */
export type TrainModelDeps = Pick<SubgraphDeps, 'orm' | 'log'> & Partial<Pick<SubgraphDeps, 'config' | 'shutdown'>> & FitPoolDeps;

/**
 * Fits one model version, reporting progress on the job and on the version row (`model(id) {
 * progress }`). The data is read here and the fit runs on a thread of the fit pool, so this
 * process keeps serving (and renewing the job's lock) meanwhile. A worker killed mid-fit leaves
 * the job to BullMQ's stalled-job recovery, which runs it again from the start: training only
 * writes the version row at the end.
 */
export async function trainModel(
  job: Pick<Job<TrainModelJob>, 'data' | 'id'> & Partial<Pick<Job, 'updateProgress' | 'attemptsMade' | 'opts'>>,
  deps: TrainModelDeps,
  /** How the wait for data went (`trainWhenDataArrived`), kept in the metrics as `dataWait`. */
  dataWait?: DataWaitReport,
): Promise<ModelVersion> {
  const { tenantId, modelId } = job.data ?? ({} as TrainModelJob);
  if (typeof tenantId !== 'string' || !tenantId || !isUuid(modelId)) throw new UnrecoverableError(`train-model: malformed job ${job.id}`);
  const em = forkForTenant(deps.orm, tenantId);
  const model = await em.findOne(ModelVersion, { tenantId, id: modelId });
  if (!model) throw new UnrecoverableError(`train-model: no model ${modelId} in tenant ${tenantId}`);
  let last = -1;
  const progress = async (fraction: number) => {
    const rounded = Math.round(fraction * 100) / 100;
    if (rounded === last) return;
    last = rounded;
    await job.updateProgress?.(Math.round(rounded * 100));
    await em.nativeUpdate(ModelVersion, { id: modelId }, { progress: rounded });
  };
  let trained: ModelVersion;
  try {
    const pool = fitPoolFor(deps);
    const fitter = (task: Parameters<typeof pool.run>[0]) => pool.run(task, { tenantId, modelId });
    trained = await new ModelTrainingService(em, tenantId, fitter, deps.config?.risk.minClassExamples).train(model, progress, dataWait);
  } catch (err) {
    // the last attempt: say so on the version instead of leaving it TRAINING for ever
    if ((job.attemptsMade ?? 0) + 1 >= (job.opts?.attempts ?? 1)) {
      await em.nativeUpdate(ModelVersion, { id: modelId }, { status: ModelStatus.FAILED, error: `training crashed: ${safeErrorMessage(err)} (job ${job.id}; details in the risk log)` });
    }
    throw err;
  }
  deps.log.info({ tenantId, modelId, kind: trained.kind, version: trained.version, status: trained.status }, 'model trained');
  return trained;
}

/**
 * The worker's entry: trains once every event the tenant had sent before the request has reached
 * risk (`decideDataWait`), or once `config.risk.trainingMaxWaitMs` has passed. Until then the
 * version is WAITING_FOR_DATA with what is missing in `metrics.waitingForData`, and the job
 * re-delays itself every `trainingPollMs` (freeing the worker meanwhile) after asking signals
 * for a fresh watermark. A version already trained or failed (a replayed job) is left alone.
 * One training per tenant at a time (`TenantTrainingLock`): while another job of the tenant
 * trains, this one re-delays itself the same way.
 */
export async function trainWhenDataArrived(
  job: Pick<Job<TrainModelJob>, 'data' | 'id' | 'moveToDelayed'> & Partial<Pick<Job, 'updateProgress' | 'attemptsMade' | 'opts'>>,
  token: string | undefined,
  deps: Pick<SubgraphDeps, 'orm' | 'log' | 'config' | 'redis' | 'queues'> & Partial<Pick<SubgraphDeps, 'shutdown'>> & FitPoolDeps,
): Promise<ModelVersion> {
  const { tenantId, modelId } = job.data ?? ({} as TrainModelJob);
  if (typeof tenantId !== 'string' || !tenantId || !isUuid(modelId)) throw new UnrecoverableError(`train-model: malformed job ${job.id}`);
  const em = forkForTenant(deps.orm, tenantId);
  const model = await em.findOne(ModelVersion, { tenantId, id: modelId });
  if (!model) throw new UnrecoverableError(`train-model: no model ${modelId} in tenant ${tenantId}`);
  if (model.status === ModelStatus.READY || model.status === ModelStatus.FAILED) return model;
  const requestedAt = model.createdAt.getTime();
  const now = Date.now();
  const decision = decideDataWait(await readDataArrival(deps, tenantId), requestedAt, now, deps.config.risk.trainingMaxWaitMs);
  if (decision.action === 'train') {
    const tenantLock = new TenantTrainingLock(deps.redis, deps.config.queuePrefix, deps.config.queues.lockDurationMs);
    const lock = await tenantLock.acquire(tenantId, String(job.id));
    if (lock) {
      try {
        if (!decision.report.caughtUp) deps.log.warn({ tenantId, modelId, reasons: decision.report.reasons }, 'train-model: waited long enough, training without all data');
        return await trainModel(job, deps, decision.report);
      } finally {
        await lock.release();
      }
    }
    // another training of the tenant is fitting: wait for it without holding a worker slot, and
    // say so on the version (QUEUED alone reads as stuck)
    // train-model job ids are `<tenantId>-<modelId>` (model.service.ts)
    const holderJob = await tenantLock.holder(tenantId);
    const holder = holderJob?.startsWith(`${tenantId}-`) ? holderJob.slice(tenantId.length + 1) : holderJob;
    deps.log.debug({ tenantId, modelId, holder }, 'train-model: another training of the tenant runs, waiting');
    await em.nativeUpdate(ModelVersion, { id: modelId }, { statusReason: waitingForTrainingReason(holder) });
    await job.moveToDelayed(now + deps.config.risk.trainingPollMs, token);
    throw new DelayedError();
  }
  await em.nativeUpdate(
    ModelVersion,
    { id: modelId },
    {
      status: ModelStatus.WAITING_FOR_DATA,
      statusReason: WAITING_FOR_DATA_REASON,
      metrics: { waitingForData: { reasons: decision.reasons, waitedMs: decision.waitedMs, maxWaitMs: deps.config.risk.trainingMaxWaitMs } },
    },
  );
  await requestWatermark(deps, tenantId, now);
  await job.moveToDelayed(now + deps.config.risk.trainingPollMs, token);
  throw new DelayedError();
}

export function startTrainModelWorker(deps: SubgraphDeps & FitPoolDeps): Worker<TrainModelJob> {
  // the pool first, so that shutdown closes the worker (letting its fits finish) before the threads
  fitPoolFor(deps);
  // as many trainings at once as fit threads: fits are CPU-bound and more would only queue for a thread
  const worker = new Worker<TrainModelJob>(TRAIN_MODEL, async (job, token) => void (await trainWhenDataArrived(job, token, deps)), {
    ...workerOptions(deps.redis, deps.config.queuePrefix, deps.config.risk.trainingThreads),
  });
  worker.on('error', (err) => deps.log.error({ err }, 'train-model worker error'));
  deps.shutdown.defer(() => worker.close());
  return worker;
}
