import type { MessagePort } from 'node:worker_threads';

import type { FitResult, FitTask } from '../domain/training/fit-task';

/** A fit posted to a thread of the pool (`FitThreadPool`). */
export interface FitRequest {
  id: number;
  task: FitTask;
}

export type FitReply =
  | { id: number; type: 'started' }
  | { id: number; type: 'done'; result: FitResult }
  | { id: number; type: 'failed'; error: { name: string; message: string } };

/**
 * Serves the requests posted to a fit thread: one at a time, `started` first, then the result of
 * `fit` or the error it threw. A thread entry is this call with the fit it runs (`fit-thread.ts`).
 */
export function serveFitRequests(port: Pick<MessagePort, 'on' | 'postMessage'>, fit: (task: FitTask) => FitResult): void {
  port.on('message', ({ id, task }: FitRequest) => {
    port.postMessage({ id, type: 'started' } satisfies FitReply);
    try {
      port.postMessage({ id, type: 'done', result: fit(task) } satisfies FitReply);
    } catch (err) {
      const error = err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
      port.postMessage({ id, type: 'failed', error } satisfies FitReply);
    }
  });
}
