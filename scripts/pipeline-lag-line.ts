// The line `npm start` prints while the pipeline is far behind. Pure formatting.
import type { PipelineLag } from '../subgraphs/signals/domain/pipeline/pipeline-lag';
import { formatCount, formatDuration } from './import/progress';

/** The pipeline is far behind when a stage's oldest pending work is older than this, in ms. */
export const FAR_BEHIND_MS = 30_000;

/** True when some stage's oldest pending work is older than `FAR_BEHIND_MS`. */
export function isFarBehind(lag: PipelineLag): boolean {
  return lag.stages.some((s) => (s.oldestWaitingAgeMs ?? 0) > FAR_BEHIND_MS);
}

/**
 * One line with every stage's lag, e.g.
 * `pipeline behind: resolve 1:05 (1,234 unprocessed, 210/s) · detect ok · risk 0:45 (12 waiting, 80/s) · alerts ok`.
 */
export function formatPipelineLag(lag: PipelineLag): string {
  const stages = lag.stages.map((s) => {
    if (s.caughtUp && (s.oldestWaitingAgeMs ?? 0) === 0 && s.waiting + s.delayed + s.active === 0 && !s.unprocessedEvents && !s.handedOnEvents) return `${s.stage} ok`;
    const details = [
      ...(s.unprocessedEvents ? [`${formatCount(s.unprocessedEvents)} unprocessed`] : []),
      ...(s.handedOnEvents ? [`${formatCount(s.handedOnEvents)} handed on`] : []),
      ...(s.waiting ? [`${formatCount(s.waiting)} waiting`] : []),
      ...(s.delayed ? [`${formatCount(s.delayed)} delayed`] : []),
      ...(s.failed ? [`${formatCount(s.failed)} failed`] : []),
      `${formatCount(s.eventsPerSecond)}/s`,
    ];
    return `${s.stage} ${s.oldestWaitingAgeMs === null ? 'ok' : formatDuration(s.oldestWaitingAgeMs)} (${details.join(', ')})`;
  });
  return `pipeline ${lag.caughtUp ? 'caught up' : 'behind'}: ${stages.join(' · ')}`;
}
