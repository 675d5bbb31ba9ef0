/**
 * Opaque position in the alert list (newest first, by id: alert ids are uuidv7, so id order is
 * creation order). Base64url of `a:<id>`, so clients do not build cursors by hand.
 */
export function encodeAlertCursor(id: string): string {
  return Buffer.from(`a:${id}`, 'utf8').toString('base64url');
}

/** The alert id a cursor points at, or null when it is not a cursor of this list. */
export function decodeAlertCursor(cursor: string): string | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith('a:') ? text.slice(2) : '';
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id) ? id : null;
}
