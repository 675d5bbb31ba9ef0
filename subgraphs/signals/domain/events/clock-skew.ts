/** The three clocks a Segment event carries, as Segment names them. */
export interface EventClocks {
  /** When the event happened by the client's clock (the event's `timestamp` as sent). */
  originalTimestamp: Date | null;
  /** When the client sent the request, by the same clock. */
  sentAt: Date | null;
  /** When the server received the request, by the server's clock. */
  receivedAt: Date;
}

/**
 * The event time on the server's clock, corrected for client clock skew as Segment does:
 * `timestamp = receivedAt − (sentAt − originalTimestamp)` — the client's own measure of how long
 * the event waited before it was sent, subtracted from the server's arrival time, so a device
 * whose clock is hours off still places its events correctly. Without `sentAt` the sent
 * timestamp is taken as is (e.g. a historical import); without either, `receivedAt`.
 * https://segment.com/docs/connections/spec/common/#timestamp-overview
 */
export function correctClockSkew({ originalTimestamp, sentAt, receivedAt }: EventClocks): Date {
  if (originalTimestamp && sentAt) {
    return new Date(receivedAt.getTime() - (sentAt.getTime() - originalTimestamp.getTime()));
  }
  return originalTimestamp ?? receivedAt;
}
