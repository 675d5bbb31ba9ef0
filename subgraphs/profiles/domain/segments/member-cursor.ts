import { isUuid } from '../../../common/ids';

/** Marks a cursor as one of the segment-members connection, so a cursor of another list is refused. */
const CURSOR_PREFIX = 'sm:';

/** The opaque `SegmentMemberConnection` cursor of a membership row (base64url of `sm:<id>`). */
export function encodeMemberCursor(membershipId: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${membershipId}`).toString('base64url');
}

/** The membership id inside a cursor from `encodeMemberCursor`, or null when it is not one. */
export function decodeMemberCursor(cursor: string): string | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const id = text.startsWith(CURSOR_PREFIX) ? text.slice(CURSOR_PREFIX.length) : '';
  return isUuid(id) ? id : null;
}
