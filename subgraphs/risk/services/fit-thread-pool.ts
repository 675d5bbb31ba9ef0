import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import type { Config } from '../../common/config';
import type { Shutdown } from '../../common/shutdown';
import type { FitResult, FitTask } from '../domain/training/fit-task';
import type { FitReply, FitRequest } from '../workers/fit-thread-protocol';

/** The module a fit thread runs by default: `workers/fit-thread` (no extension). */
export const FIT_THREAD_MODULE = join(__dirname, '..', 'workers', 'fit-thread');

/**
 * How a thread starts `module` (a path without extension). From the build (`npm start` runs
 * dist/…/*.js) this module is a .js file and the thread runs the compiled `<module>.js`. From the
 * TypeScript sources (jest, test/fixtures/ts-child.cjs) this module is a .ts file; a new thread
 * starts with a bare module system that cannot load .ts, so it starts in
 * test/fixtures/ts-child.cjs, which registers the same transpile-on-load hook as the test children
 * and then requires its argv[2], `<module>.ts`. Deciding on this module's own extension (not on
 * whether a dist build exists) means sources never run a stale build's thread, and the build never
 * needs the test tree or TypeScript.
 */
function threadEntry(module: string): { file: string; argv: string[] } {
  if (__filename.endsWith('.js')) return { file: `${module}.js`, argv: [] };
  return { file: join(__dirname, '..', '..', '..', 'test', 'fixtures', 'ts-child.cjs'), argv: [`${module}.ts`] };
}

export interface FitPoolOptions {
  /** Most threads fitting at once (`RISK_TRAINING_THREADS`); more fits wait their turn. */
  size: number;
  /** A fit running longer has its thread terminated and fails (`RISK_TRAINING_TIMEOUT_MS`), ms. */
  timeoutMs: number;
  /**
   * The module each thread runs, a path without extension, and the `workerData` it starts with.
   * Default `FIT_THREAD_MODULE` (`serveFitRequests` with `runFitTask`); another entry serving the
   * same protocol (fit-thread-protocol.ts) may run a different fit.
   */
  thread?: { module: string; workerData?: unknown };
}

/** Who a fit is for, in the pool's events and errors. */
export interface FitLabel {
  tenantId: string;
  modelId: string;
}

/** Why a fit gave no result: it threw, its thread ended, or it ran past the timeout. */
export class FitThreadError extends Error {
  constructor(
    readonly reason: 'threw' | 'crashed' | 'timeout',
    message: string,
    /** The thrown error's name (`RangeError` for data a fit refuses), when `reason` is `threw`. */
    readonly thrownName?: string,
  ) {
    super(message);
    this.name = 'FitThreadError';
  }
}

interface Pending {
  id: number;
  task: FitTask;
  label: FitLabel;
  resolve(result: FitResult): void;
  reject(err: Error): void;
}

interface Thread {
  worker: Worker;
  current: (Pending & { timer: NodeJS.Timeout }) | null;
}

/**
 * A few worker threads, reused across trainings, that run `runFitTask` off the main thread: the
 * event loop keeps answering GraphQL, running other jobs and renewing the job's lock meanwhile.
 * Threads start on first use and are unref'd while idle, so an idle pool keeps no process alive.
 * Emits `fit-started` (the thread began the fit) and `fit-finished` (it ended, either way) with the label.
 */
export class FitThreadPool extends EventEmitter {
  private readonly threads = new Set<Thread>();
  private readonly waiting: Pending[] = [];
  private nextId = 1;
  private closed = false;

  constructor(private readonly options: FitPoolOptions) {
    super();
    if (!(options.size >= 1)) throw new RangeError(`FitThreadPool: size must be at least 1 (size=${options.size})`);
  }

  /** Fits `task` on a thread; rejects with a `FitThreadError` when no result came back. */
  run(task: FitTask, label: FitLabel): Promise<FitResult> {
    if (this.closed) return Promise.reject(new Error('the fit thread pool is closed'));
    return new Promise<FitResult>((resolve, reject) => {
      this.waiting.push({ id: this.nextId++, task, label, resolve, reject });
      this.dispatch();
    });
  }

  /** Terminates every thread; fits still running or waiting fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const pending of this.waiting.splice(0)) pending.reject(new Error('the fit thread pool closed'));
    await Promise.all([...this.threads].map((t) => t.worker.terminate()));
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const thread = [...this.threads].find((t) => !t.current) ?? (this.threads.size < this.options.size ? this.spawn() : null);
      if (!thread) return;
      this.start(thread, this.waiting.shift()!);
    }
  }

  private start(thread: Thread, pending: Pending): void {
    const timer = setTimeout(() => {
      this.finish(thread, new FitThreadError('timeout', `the fit ran longer than RISK_TRAINING_TIMEOUT_MS (${this.options.timeoutMs} ms) and was stopped`));
      // a thread busy in a fit cannot be interrupted: terminate it; the next fit starts a new one
      this.threads.delete(thread);
      void thread.worker.terminate();
      this.dispatch();
    }, this.options.timeoutMs);
    thread.current = { ...pending, timer };
    thread.worker.ref(); // a running fit keeps the process alive until its result is in
    const request: FitRequest = { id: pending.id, task: pending.task };
    thread.worker.postMessage(request);
  }

  private spawn(): Thread {
    const entry = threadEntry(this.options.thread?.module ?? FIT_THREAD_MODULE);
    const worker = new Worker(entry.file, { argv: entry.argv, workerData: this.options.thread?.workerData });
    const thread: Thread = { worker, current: null };
    worker.on('message', (reply: FitReply) => {
      if (!thread.current || reply.id !== thread.current.id) return;
      if (reply.type === 'started') this.emit('fit-started', thread.current.label);
      else if (reply.type === 'done') this.finish(thread, null, reply.result);
      else this.finish(thread, new FitThreadError('threw', reply.error.message, reply.error.name));
      if (reply.type !== 'started') this.dispatch();
    });
    worker.on('error', (err) => this.finish(thread, new FitThreadError('crashed', `the fit thread crashed: ${err.message}`)));
    worker.on('exit', (code) => {
      this.threads.delete(thread);
      this.finish(thread, new FitThreadError('crashed', `the fit thread exited with code ${code}`));
      if (!this.closed) this.dispatch();
    });
    worker.unref();
    this.threads.add(thread);
    return thread;
  }

  /** Settles the thread's current fit (once) and leaves the thread idle. */
  private finish(thread: Thread, err: Error | null, result?: FitResult): void {
    const current = thread.current;
    if (!current) return;
    thread.current = null;
    clearTimeout(current.timer);
    thread.worker.unref();
    this.emit('fit-finished', current.label);
    if (err) current.reject(err);
    else current.resolve(result!);
  }
}

/** What `fitPoolFor` reads: a pool given explicitly (tests), else the config and teardown of the process. */
export interface FitPoolDeps {
  fitPool?: FitThreadPool;
  config?: Readonly<Config>;
  shutdown?: Shutdown;
}

const poolsByShutdown = new WeakMap<Shutdown, FitThreadPool>();
let processPool: FitThreadPool | null = null;

/**
 * The pool trainings of these deps fit on: `deps.fitPool` when given, else one per running
 * subgraph (keyed on its `shutdown`, which terminates the threads), else one for the process
 * (scripts that pass only `{ orm, log }`; its idle threads are unref'd).
 */
export function fitPoolFor(deps: FitPoolDeps): FitThreadPool {
  if (deps.fitPool) return deps.fitPool;
  const options = { size: deps.config?.risk.trainingThreads ?? 1, timeoutMs: deps.config?.risk.trainingTimeoutMs ?? 600_000 };
  if (!deps.shutdown) return (processPool ??= new FitThreadPool(options));
  let pool = poolsByShutdown.get(deps.shutdown);
  if (!pool) {
    const created = (pool = new FitThreadPool(options));
    poolsByShutdown.set(deps.shutdown, created);
    deps.shutdown.defer(() => created.close());
  }
  return pool;
}
