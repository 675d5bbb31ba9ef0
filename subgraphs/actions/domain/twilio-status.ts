import type { CallbackProblem, DeliveryCallback } from './delivery-callback';

/** Longest provider message id kept (the ledger's column is 200 characters). */
const MAX_ID = 200;

/**
 * What each of Twilio's message statuses means for the ledger: a final delivery or a bounce are
 * reports; the steps on the way (`queued`, `sending`, `sent`, `accepted`, `scheduled`) and `read`,
 * `canceled` are not, and are acknowledged without recording anything.
 */
const REPORTS: Readonly<Record<string, DeliveryCallback['status']>> = { delivered: 'delivered', undelivered: 'bounced', failed: 'bounced' };

/**
 * Reads a Twilio status callback (a form POST: `MessageSid`, `MessageStatus`, `ErrorCode`; the
 * older `SmsSid` / `SmsStatus` names are read too). A status that is not a report is `ignored`;
 * a missing id or status is a problem naming the field. The reason of a bounce is its error code.
 */
export function readTwilioStatus(
  params: Readonly<Record<string, string>>,
): { callback: DeliveryCallback; ignored: null; problems: [] } | { callback: null; ignored: string; problems: [] } | { callback: null; ignored: null; problems: CallbackProblem[] } {
  const messageId = (params.MessageSid ?? params.SmsSid ?? '').trim();
  const status = (params.MessageStatus ?? params.SmsStatus ?? '').trim().toLowerCase();
  const problems: CallbackProblem[] = [];
  if (!messageId || messageId.length > MAX_ID) problems.push({ field: 'MessageSid', message: `must be the message's sid (1–${MAX_ID} characters)` });
  if (!status) problems.push({ field: 'MessageStatus', message: 'is required' });
  if (problems.length) return { callback: null, ignored: null, problems };
  const report = REPORTS[status];
  if (!report) return { callback: null, ignored: status, problems: [] };
  const code = params.ErrorCode?.trim();
  const reason = report === 'bounced' ? `${status}${code ? ` (error ${code.slice(0, 20)})` : ''}` : null;
  return { callback: { messageId, status: report, reason, occurredAt: null }, ignored: null, problems: [] };
}
