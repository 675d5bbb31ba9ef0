import type { DeliveryResult } from '../../domain/channel';
import { outcomeOfStatus } from '../../domain/delivery-outcome';
import { BlockedHostError, sendSafely, type OutboundPolicy } from './safe-http';

/** One provider POST, its answer read as a `DeliveryResult` (the provider id picked from a JSON body). */
export async function providerPost(
  url: string,
  headers: Record<string, string>,
  body: string,
  policy: OutboundPolicy,
  signal: AbortSignal | undefined,
  idOf: (json: Record<string, unknown>) => string | null,
): Promise<DeliveryResult> {
  try {
    const answer = await sendSafely(url, { headers, body }, policy, signal);
    let providerId: string | null = null;
    try {
      const json = JSON.parse(answer.body) as unknown;
      if (json && typeof json === 'object') providerId = idOf(json as Record<string, unknown>);
    } catch {
      // a body that is not JSON carries no id
    }
    return outcomeOfStatus(answer.status, providerId, answer.status >= 300 ? answer.body : '');
  } catch (err) {
    if (err instanceof BlockedHostError) return { ok: false, retryable: false, error: err.message };
    return { ok: false, retryable: true, error: `network: ${(err as Error).message}` };
  }
}
