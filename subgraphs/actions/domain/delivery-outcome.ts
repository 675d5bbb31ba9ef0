import type { DeliveryResult } from './channel';

/**
 * What a provider's HTTP status means for a send: 2xx delivered; 410 Gone: the endpoint asks
 * never to be called again (disable the channel); 408, 429 and 5xx: try again later; any other
 * answer (a 3xx the sender does not follow, a 4xx): the request itself is refused, a retry would
 * be refused the same way.
 */
export function outcomeOfStatus(status: number, providerId: string | null = null, detail = ''): DeliveryResult {
  if (status >= 200 && status < 300) return { ok: true, providerId, status };
  const error = `HTTP ${status}${detail ? `: ${detail.slice(0, 200)}` : ''}`;
  if (status === 410) return { ok: false, retryable: false, disable: true, error, status };
  if (status === 408 || status === 429 || status >= 500) return { ok: false, retryable: true, error, status };
  return { ok: false, retryable: false, error, status };
}

/** What happens to a webhook delivery after a try. */
export type DeliveryStep =
  | { status: 'delivered' }
  /** Try again after `delayMs` (the schedule's entry for the try just made). */
  | { status: 'retry'; delayMs: number }
  /** No more tries: the delivery is dead-lettered (replayable). */
  | { status: 'dead' };

/**
 * The next step of a delivery whose try number `tries` (1 for the first) answered `result`, on
 * the retry schedule `scheduleMs` (waits before the 2nd, 3rd, … try; the Standard Webhooks
 * schedule is 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h). A refusal that is not retryable is dead at once.
 */
export function nextDeliveryStep(result: DeliveryResult, tries: number, scheduleMs: readonly number[]): DeliveryStep {
  if (!Number.isInteger(tries) || tries < 1) throw new RangeError(`nextDeliveryStep: tries must be a whole number >= 1 (tries=${tries})`);
  if (result.ok) return { status: 'delivered' };
  if (!result.retryable || tries > scheduleMs.length) return { status: 'dead' };
  return { status: 'retry', delayMs: scheduleMs[tries - 1] };
}
