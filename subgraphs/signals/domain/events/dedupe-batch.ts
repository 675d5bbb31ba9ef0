/**
 * Splits a batch into the first occurrence of each `messageId` and the number of repeats after
 * it, keeping order: a client that sends the same event twice in one request stores it once.
 */
export function dedupeByMessageId<T extends { messageId: string }>(events: readonly T[]): { unique: T[]; repeats: number } {
  const seen = new Set<string>();
  const unique: T[] = [];
  for (const event of events) {
    if (seen.has(event.messageId)) continue;
    seen.add(event.messageId);
    unique.push(event);
  }
  return { unique, repeats: events.length - unique.length };
}
