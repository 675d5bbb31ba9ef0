/** What a provider reports back about a message it accepted. */
export type DeliveryReport = 'delivered' | 'bounced' | 'complained';
export const DELIVERY_REPORTS: readonly DeliveryReport[] = ['delivered', 'bounced', 'complained'];

/** A provider's report on one message, as the delivery-status callback carries it. */
export interface DeliveryCallback {
  /** The provider's id of the message: what its answer to the send returned (the ledger's `providerId`). */
  messageId: string;
  status: DeliveryReport;
  /** The provider's reason (a bounce's SMTP reply, a complaint's feedback type); null when none. */
  reason: string | null;
  /** When it happened according to the provider; null: when the callback arrived. */
  occurredAt: Date | null;
}

/** One thing wrong with a callback body; `field` is its JSON key. */
export interface CallbackProblem {
  field: string;
  message: string;
}

/** Longest provider message id and reason kept (the ledger's column is 200 characters). */
const MAX_ID = 200;
const MAX_REASON = 1000;

/**
 * Reads a delivery-status callback body: `{ "messageId": "…", "status": "delivered" | "bounced" |
 * "complained", "reason"?: "…", "occurredAt"?: "<ISO time>" }`. Status is read case-insensitively.
 * Returns every problem at once, each naming its field, or the report.
 */
export function readDeliveryCallback(body: unknown): { callback: DeliveryCallback; problems: [] } | { callback: null; problems: CallbackProblem[] } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { callback: null, problems: [{ field: 'body', message: 'must be a JSON object' }] };
  const b = body as Record<string, unknown>;
  const problems: CallbackProblem[] = [];
  const messageId = typeof b.messageId === 'string' ? b.messageId.trim() : '';
  if (!messageId || messageId.length > MAX_ID) problems.push({ field: 'messageId', message: `must be the provider's message id (1–${MAX_ID} characters)` });
  const status = typeof b.status === 'string' ? b.status.trim().toLowerCase() : '';
  if (!(DELIVERY_REPORTS as readonly string[]).includes(status)) problems.push({ field: 'status', message: `must be one of ${DELIVERY_REPORTS.join(', ')}` });
  let reason: string | null = null;
  if (b.reason != null) {
    if (typeof b.reason !== 'string') problems.push({ field: 'reason', message: 'must be a string' });
    else reason = b.reason.slice(0, MAX_REASON);
  }
  let occurredAt: Date | null = null;
  if (b.occurredAt != null) {
    occurredAt = typeof b.occurredAt === 'string' ? new Date(b.occurredAt) : null;
    if (!occurredAt || Number.isNaN(occurredAt.getTime())) problems.push({ field: 'occurredAt', message: 'must be an ISO date-time' });
  }
  if (problems.length) return { callback: null, problems };
  return { callback: { messageId, status: status as DeliveryReport, reason, occurredAt }, problems: [] };
}
