// Entry of a fit thread (`FitThreadPool`): runs `runFitTask` on each posted request, one at a time,
// and posts the result or the error back. It holds no connections: SQL stays on the main thread.
import { parentPort } from 'node:worker_threads';

import { runFitTask, type FitResult, type FitTask } from '../domain/training/fit-task';

/**
 * Test hooks, posted with a request by a pool built with `inject` (never from configuration):
 * they make a fit last as long as a test needs, throw, or end its thread, without a big dataset.
 */
export interface FitInjection {
  /** An Int32Array's buffer: the thread blocks (`Atomics.wait`) while element 0 is 0, like a long fit. */
  hold?: SharedArrayBuffer;
  /** Throw this message from inside the fit. */
  throwMessage?: string;
  /** End the thread with this exit code (a crash: out of memory, a native fault). */
  exitCode?: number;
}

export interface FitRequest {
  id: number;
  task: FitTask;
  inject?: FitInjection;
}

export type FitReply =
  | { id: number; type: 'started' }
  | { id: number; type: 'done'; result: FitResult }
  | { id: number; type: 'failed'; error: { name: string; message: string } };

function handle(port: NonNullable<typeof parentPort>, { id, task, inject }: FitRequest): void {
  port.postMessage({ id, type: 'started' } satisfies FitReply);
  try {
    if (inject?.hold) {
      const gate = new Int32Array(inject.hold);
      while (Atomics.load(gate, 0) === 0) Atomics.wait(gate, 0, 0);
    }
    if (inject?.exitCode !== undefined) process.exit(inject.exitCode);
    if (inject?.throwMessage !== undefined) throw new Error(inject.throwMessage);
    port.postMessage({ id, type: 'done', result: runFitTask(task) } satisfies FitReply);
  } catch (err) {
    const error = err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
    port.postMessage({ id, type: 'failed', error } satisfies FitReply);
  }
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (request: FitRequest) => handle(port, request));
}
