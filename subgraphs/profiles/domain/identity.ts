/**
 * Identifier values that SDKs send when they have none: never treated as an identity, or every
 * anonymous visitor would merge into one profile.
 */
export const JUNK_IDENTITY_VALUES: readonly string[] = ['', 'null', 'undefined', 'anonymous', 'unknown', 'nil', 'none', '-1', '0'];

/** Kinds of identifier, as strings, so this module needs no entity import. */
export type IdentityKind = 'user_id' | 'email' | 'anonymous_id' | 'phone' | 'external';

/**
 * The canonical form of an identity value, or `null` when the value is junk. Emails are trimmed
 * and lower-cased; phones keep digits and a leading `+`; others are trimmed. `extraJunk` adds
 * lower-case values to the built-in junk list (configured with `IDENTITY_JUNK_VALUES`).
 */
export function normalizeIdentity(
  kind: IdentityKind | `${IdentityKind}`,
  raw: string,
  extraJunk: readonly string[] = [],
): string | null {
  let value = raw.trim();
  // judged before normalisation too: a phone of '-1' would otherwise become the identity '1'
  if (isJunk(value, extraJunk)) return null;
  if (kind === 'email') value = value.toLowerCase();
  if (kind === 'phone') value = value.replace(/(?!^\+)[^\d]/g, '');
  return isJunk(value, extraJunk) ? null : value;
}

function isJunk(value: string, extraJunk: readonly string[]): boolean {
  const lower = value.toLowerCase();
  if (JUNK_IDENTITY_VALUES.includes(lower) || extraJunk.includes(lower)) return true;
  // all-zero ids (00000000-0000-…) and all-dash strings come from uninitialised SDK state
  return /^[0-]+$/.test(value);
}
