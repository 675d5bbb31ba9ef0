import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Worker } from 'bullmq';

import { signContext } from '../../../subgraphs/common/auth-context';
import { queuePrefix, TRAIN_MODEL } from '../../../subgraphs/common/queues';
import { runSubgraph, type RunningSubgraph } from '../../../subgraphs/common/run-subgraph';
import { forkAcrossTenants } from '../../../subgraphs/common/tenant-filter';
import { riskSubgraph } from '../../../subgraphs/risk';
import { ActivityEvent } from '../../../subgraphs/risk/entities/activity-event.entity';
import { ModelKind, ModelStatus, ModelVersion } from '../../../subgraphs/risk/entities/model-version.entity';
import { FitThreadPool, type FitLabel } from '../../../subgraphs/risk/services/fit-thread-pool';
import { ModelService } from '../../../subgraphs/risk/services/model.service';
import { TenantTrainingLock } from '../../../subgraphs/risk/services/tenant-training-lock';
import { startTrainModelWorker, trainModel } from '../../../subgraphs/risk/workers/train-model.worker';
import { hookedFitThread } from '../../fixtures/hooked-fit-thread';
import { gql } from '../../fixtures/stack';
import { syntheticId } from '../../fixtures/synthetic-tenant';
import { createTestEnv, type TestEnv } from '../../fixtures/test-config';
import { waitFor } from '../../fixtures/wait-for';

/** The CDNOW sample (2,357 customers' purchases), as in the lifetime-model test. */
const SAMPLE = join(__dirname, '..', '..', '..', 'data', 'cdnow', 'CDNOW_sample.txt');
const TENANT_A = 'threads-a';
const TENANT_B = 'threads-b';
// far shorter than a held fit, yet long enough that a CI runner running two jest processes on two
// cores does not starve the renewal timer (every LOCK_MS / 2) past it
const LOCK_MS = 3000;
const LIFETIME = { calibrationEnd: '1997-09-30T00:00:00Z', timeUnit: 'weeks', horizon: 52, discountRate: 0.002, purchaseEvent: 'Order Completed' };

function readSample(): { customer: number; at: Date; amount: number }[] {
  return readFileSync(SAMPLE, 'utf8')
    .trim()
    .split(/\r?\n/)
    .map((line) => {
      const [, sampleId, date, , dollars] = line.trim().split(/\s+/);
      return { customer: Number(sampleId), at: new Date(Date.UTC(+date.slice(0, 4), +date.slice(4, 6) - 1, +date.slice(6, 8))), amount: Number(dollars) };
    });
}

/**
 * Fits run on worker threads (`FitThreadPool`) while the risk process keeps serving. A fit is made
 * as long as a test needs with the `hold` hook of its threads (test/fixtures/hooked-fit-thread.ts): the thread blocks in `Atomics.wait` (as
 * busy as a long fit, for the process's event loop) until the test releases it, so "answered
 * before the fit completed" is a fact, not a timing. Real Redis, real SQLite / PostgreSQL.
 */
describe('FitThreadPool', () => {
  let env: TestEnv;
  let risk: RunningSubgraph;
  let pool: FitThreadPool;
  let worker: Worker;
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const hold = () => Atomics.store(gate, 0, 0);
  const release = () => {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
  };
  const log: { event: 'start' | 'end'; label: FitLabel }[] = [];
  const stalled: string[] = [];
  const started = (modelId: string) => log.filter((e) => e.event === 'start' && e.label.modelId === modelId).length;

  beforeAll(async () => {
    env = await createTestEnv({
      // a job lock far shorter than a fit: only renewal keeps the job from running twice
      QUEUE_LOCK_DURATION_MS: String(LOCK_MS),
      QUEUE_STALLED_INTERVAL_MS: '500',
      RISK_TRAINING_MAX_WAIT_MS: '0',
      RISK_TRAINING_POLL_MS: '100',
      RISK_TRAINING_THREADS: '2',
    });
    risk = await runSubgraph(riskSubgraph, env.config, { port: 0, workers: false });
    const em = forkAcrossTenants(risk.deps.orm);
    const sample = readSample();
    for (const [t, tenantId] of [TENANT_A, TENANT_B].entries()) {
      const rows = sample.map((p, i) =>
        em.create(ActivityEvent, {
          tenantId,
          profileId: syntheticId(5 + t, p.customer),
          eventId: syntheticId(7 + t, i),
          type: 'track',
          name: 'Order Completed',
          timestamp: p.at,
          revenue: p.amount,
          traits: {},
        }),
      );
      for (let i = 0; i < rows.length; i += 2000) await em.insertMany(ActivityEvent, rows.slice(i, i + 2000));
    }
    pool = new FitThreadPool({ size: 2, timeoutMs: 120_000, thread: hookedFitThread({ hold: gate.buffer as SharedArrayBuffer }) });
    pool.on('fit-started', (label: FitLabel) => log.push({ event: 'start', label }));
    pool.on('fit-finished', (label: FitLabel) => log.push({ event: 'end', label }));
    worker = startTrainModelWorker({ ...risk.deps, fitPool: pool });
    worker.on('stalled', (jobId) => stalled.push(jobId));
  }, 120_000);
  afterAll(async () => {
    release();
    await risk?.close(); // closes the worker (registered on its shutdown)
    await pool?.close();
    await env?.cleanup();
  });

  const request = (tenantId: string) => new ModelService(forkAcrossTenants(risk.deps.orm), tenantId, risk.deps.queues).requestTraining(ModelKind.LIFETIME, LIFETIME);
  const version = (id: string) => forkAcrossTenants(risk.deps.orm).findOneOrFail(ModelVersion, { id }, { refresh: true });
  const jobOf = async (tenantId: string, modelId: string) => (await risk.deps.queues.get(TRAIN_MODEL).getJob(`${tenantId}-${modelId}`))!;
  const as = (tenantId: string) => ({
    'x-foresight-context': signContext({ tenantId, keyId: `key-${tenantId}`, scopes: ['risk:read'] }, env.config.secret, 'risk', 60),
  });

  it('answers GraphQL while a fit runs, keeps the job lock past its duration, and ends READY with the published estimates', async () => {
    hold();
    const requested = await request(TENANT_A);
    await waitFor(() => started(requested.id) === 1);

    // the fit holds its thread; the process answers a query of the model meanwhile
    const answer = await gql(risk.url, 'query ($id: ID!) { model(id: $id) { status } }', { id: requested.id }, as(TENANT_A));
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.model.status).toBe(ModelStatus.TRAINING.toUpperCase());
    expect(log.some((e) => e.event === 'end' && e.label.modelId === requested.id)).toBe(false);

    // the lock is renewed (its TTL jumps back up) twice, LOCK_MS / 2 apart: the fit has outlived the lock duration
    const lockKey = `${queuePrefix(env.config.queuePrefix)}:${TRAIN_MODEL}:${TENANT_A}-${requested.id}:lock`;
    let renewals = 0;
    let last = Infinity;
    await waitFor(async () => {
      const ttl = await risk.deps.redis.pttl(lockKey);
      if (ttl > last) renewals++;
      last = ttl;
      return renewals >= 2;
    }, 20_000, 20);
    expect(await (await jobOf(TENANT_A, requested.id)).getState()).toBe('active');

    release();
    await waitFor(async () => (await version(requested.id)).status === ModelStatus.READY, 60_000);
    const m = (await version(requested.id)).metrics as Record<string, any>;
    expect(m.customers).toBe(2357);
    expect(Math.abs(m.bgNbd.r - 0.243)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(m.bgNbd.alpha - 4.414)).toBeLessThanOrEqual(0.005);
    expect(Math.abs(m.bgNbd.logLikelihood - -9582.43)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(m.gammaGamma.p - 6.25)).toBeLessThanOrEqual(0.01);
    expect(m.holdout.actualRepeatPurchases).toBe(1882);
    // run once: no stalled recovery, one fit
    expect(stalled).toEqual([]);
    expect(started(requested.id)).toBe(1);
    await waitFor(async () => (await jobOf(TENANT_A, requested.id)).getState().then((s) => s === 'completed'));
  }, 120_000);

  it('never fits two models of one tenant at once, while another tenant fits beside them', async () => {
    log.length = 0;
    hold();
    const [a1, a2] = [await request(TENANT_A), await request(TENANT_A)];
    const b1 = await request(TENANT_B);
    // the worker takes jobs in order, so both A jobs got its two slots first: B fits only because
    // the second A job found the tenant's lock taken and gave its slot back (re-delayed itself)
    await waitFor(() => started(b1.id) === 1 && started(a1.id) + started(a2.id) === 1);
    const [fittingA, waitingA] = started(a1.id) === 1 ? [a1, a2] : [a2, a1];
    const lock = new TenantTrainingLock(risk.deps.redis, env.config.queuePrefix, LOCK_MS);
    expect(await lock.holder(TENANT_A)).toBe(`${TENANT_A}-${fittingA.id}`);
    expect(started(waitingA.id)).toBe(0);
    expect((await version(waitingA.id)).status).toBe(ModelStatus.QUEUED);
    // the waiting version says what it waits for, through the API too
    const waitingFor = `waiting for training ${fittingA.id} of this tenant to finish`;
    await waitFor(async () => (await version(waitingA.id)).statusReason === waitingFor);
    const answer = await gql(risk.url, 'query ($id: ID!) { model(id: $id) { status statusReason } }', { id: waitingA.id }, as(TENANT_A));
    expect(answer.data!.model).toEqual({ status: 'QUEUED', statusReason: waitingFor });
    expect((await version(fittingA.id)).statusReason).toBeNull();

    release();
    await waitFor(async () => (await Promise.all([a1, a2, b1].map((v) => version(v.id)))).every((v) => v.status === ModelStatus.READY), 60_000);
    const tenantA = log.filter((e) => e.label.tenantId === TENANT_A).map((e) => `${e.event} ${e.label.modelId}`);
    const firstSeen = (id: string) => log.findIndex((e) => e.label.modelId === id);
    const first = firstSeen(a1.id) < firstSeen(a2.id) ? a1 : a2;
    const second = first === a1 ? a2 : a1;
    expect(tenantA).toEqual([`start ${first.id}`, `end ${first.id}`, `start ${second.id}`, `end ${second.id}`]);
    // cleared once it started
    expect((await Promise.all([a1, a2, b1].map((v) => version(v.id)))).map((v) => v.statusReason)).toEqual([null, null, null]);
    // the same data gives the same fit, whichever ran first
    expect((await version(a1.id)).params).toEqual((await version(a2.id)).params);
    // the job lets the tenant's lock go after it stored the version
    await waitFor(async () => (await lock.holder(TENANT_A)) === null);
  }, 120_000);

  it.each([
    ['throws', { throwMessage: 'boom in the fit' }, 60_000, /^the fit failed: Error: boom in the fit$/],
    ['ends its thread', { exitCode: 3 }, 60_000, /^the fit thread exited with code 3$/],
    ['runs past the timeout', { hold: new SharedArrayBuffer(4) }, 300, /^the fit ran longer than RISK_TRAINING_TIMEOUT_MS \(300 ms\) and was stopped$/],
  ])('marks the version FAILED with the reason when the fit %s, without a retry', async (_name, inject, timeoutMs, reason) => {
    await worker.pause(); // the versions below are trained here, on a pool of their own, not by the worker
    const failing = new FitThreadPool({ size: 1, timeoutMs, thread: hookedFitThread(inject) });
    try {
      const requested = await request(TENANT_B);
      const job = { id: `${TENANT_B}-${requested.id}`, data: { tenantId: TENANT_B, modelId: requested.id }, attemptsMade: 0, opts: { attempts: 2 } };
      const trained = await trainModel(job, { ...risk.deps, fitPool: failing });
      expect(trained.status).toBe(ModelStatus.FAILED);
      expect(trained.error).toMatch(reason);
      expect((await version(requested.id)).params).toBeNull();
    } finally {
      await failing.close();
    }
  }, 120_000);
});
