import { decodeMemberCursor, encodeMemberCursor } from '../../../../../subgraphs/profiles/domain/segments/member-cursor';

const ID = '0190a7e2-7b1c-7c3e-9d2a-1f2e3d4c5b6a';

describe('encodeMemberCursor', () => {
  it('is opaque: the id does not show in the cursor', () => {
    expect(encodeMemberCursor(ID)).not.toContain(ID);
    expect(encodeMemberCursor(ID)).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe('decodeMemberCursor', () => {
  it('returns the membership id of a cursor it encoded', () => {
    expect(decodeMemberCursor(encodeMemberCursor(ID))).toBe(ID);
  });

  it.each([
    ['a cursor of another connection', Buffer.from(`xx:${ID}`).toString('base64url')],
    ['a bare id', ID],
    ['a prefixed non-uuid', Buffer.from('sm:42').toString('base64url')],
    ['an empty string', ''],
    ['garbage', '!!!'],
  ])('returns null for %s', (_name, cursor) => {
    expect(decodeMemberCursor(cursor)).toBeNull();
  });
});
