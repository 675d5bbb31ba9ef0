// Entry of a fit thread (`FitThreadPool`): runs `runFitTask` on each posted request, one at a time,
// and posts the result or the error back. It holds no connections: SQL stays on the main thread.
import { parentPort } from 'node:worker_threads';

import { runFitTask } from '../domain/training/fit-task';
import { serveFitRequests } from './fit-thread-protocol';

if (parentPort) serveFitRequests(parentPort, runFitTask);
