/**
 * SHA-256 of a UTF-8 string, injected because domain code may not import `node:crypto`; the
 * service passes `(m) => createHash('sha256').update(m).digest()`. Any other implementation must
 * return the same 32 bytes, or every profile would move arm.
 */
export type Sha256 = (message: string) => Uint8Array;

/** The arm of profiles held out of a playbook: enrolled, recorded, and sent nothing. */
export const CONTROL_ARM = 'control';

/** Variants an experiment step may have besides control (issue #13: up to 4 + control). */
export const MAX_VARIANTS = 4;

/** The single treated arm of a playbook that is not an experiment. */
export const DEFAULT_VARIANTS: readonly string[] = ['treatment'];

const TWO_POW_21 = 2 ** 21;
const TWO_POW_53 = 2 ** 53;

/**
 * Maps 7 bytes of a digest, from `offset`, to a uniform number in [0, 1) with 53 bits: every double
 * of the form k/2⁵³ is equally likely, so a fraction like 0.1 is honoured to within 2⁻⁵³ and not
 * to the 1/2³² of a 32-bit bucket.
 */
export function digestToUnit(digest: Uint8Array, offset = 0): number {
  if (digest.length < offset + 7) {
    throw new RangeError(
      `digestToUnit: need 7 bytes from offset ${offset} (length=${digest.length})`,
    );
  }
  let high = 0; // 32 bits
  for (let i = 0; i < 4; i++) high = high * 256 + digest[offset + i];
  let low = 0; // the next 21 bits
  for (let i = 4; i < 7; i++) low = low * 256 + digest[offset + i];
  low = Math.floor(low / 8);
  return (high * TWO_POW_21 + low) / TWO_POW_53;
}

/**
 * The hash input: a JSON array, so ids containing any separator cannot collide
 * (["a:b", "c"] and ["a", "b:c"] differ), led by a purpose tag so that playbook assignment and the
 * global control draw independent numbers from the same salt.
 */
function hashInput(purpose: string, parts: readonly (string | number)[]): string {
  return JSON.stringify([purpose, ...parts]);
}

function assertFraction(fn: string, name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(`${fn}: ${name} must be in [0, 1] (${name}=${value})`);
  }
}

/**
 * The arm of a profile in a playbook: `control` or one of `variants`, from a salted SHA-256 of
 * (salt, playbookId, profileId). Deterministic, hence sticky: a profile re-entering the playbook
 * lands in the same arm without a lookup (the assignment log records it; it does not decide it).
 *
 * Two independent 53-bit numbers come from one digest: bytes 0–6 decide control (u < holdout) and
 * bytes 8–14 pick the variant (⌊v·k⌋). Keeping them apart means raising the holdout only moves
 * treated profiles into control, and never reshuffles which variant the others see.
 *
 * `salt` is per tenant and secret, so nobody can compute from an id which customers go untreated.
 * A holdout of 0 treats everyone (no measurement); the caller warns. Variants are equal shares of
 * the treated; names must be distinct, non-empty, at most {@link MAX_VARIANTS}, and not `control`.
 */
export function assignArm(
  sha256: Sha256,
  salt: string,
  playbookId: string,
  profileId: string,
  holdoutFraction: number,
  variants: readonly string[] = DEFAULT_VARIANTS,
): string {
  assertFraction('assignArm', 'holdoutFraction', holdoutFraction);
  assertVariants(variants);
  const digest = sha256(hashInput('playbook-arm', [salt, playbookId, profileId]));
  if (digestToUnit(digest, 0) < holdoutFraction) return CONTROL_ARM;
  return variants[Math.floor(digestToUnit(digest, 8) * variants.length)];
}

function assertVariants(variants: readonly string[]): void {
  if (variants.length < 1 || variants.length > MAX_VARIANTS) {
    throw new RangeError(
      `assignArm: variants must number 1 to ${MAX_VARIANTS} (count=${variants.length})`,
    );
  }
  const seen = new Set<string>();
  for (const v of variants) {
    if (v === '' || v === CONTROL_ARM || seen.has(v)) {
      throw new RangeError(
        `assignArm: variant names must be distinct, non-empty and not '${CONTROL_ARM}' (variant='${v}')`,
      );
    }
    seen.add(v);
  }
}

/** The share of each arm under {@link assignArm}: the expected fractions for the SRM check. */
export function armFractions(
  holdoutFraction: number,
  variants: readonly string[] = DEFAULT_VARIANTS,
): Record<string, number> {
  assertFraction('armFractions', 'holdoutFraction', holdoutFraction);
  assertVariants(variants);
  const shares: Record<string, number> = { [CONTROL_ARM]: holdoutFraction };
  for (const v of variants) shares[v] = (1 - holdoutFraction) / variants.length;
  return shares;
}

/**
 * Whether a profile is in the tenant's global control group for `epoch`: a group that receives no
 * playbook at all, to measure the programme as a whole. Independent of every playbook's holdout
 * (its own hash purpose). `epoch` names the refresh period (see {@link globalControlEpoch}); a new
 * epoch draws a new group, so no customer is held out of everything for ever.
 */
export function inGlobalControl(
  sha256: Sha256,
  salt: string,
  tenantId: string,
  profileId: string,
  fraction: number,
  epoch: number | string,
): boolean {
  assertFraction('inGlobalControl', 'fraction', fraction);
  const digest = sha256(hashInput('global-control', [salt, tenantId, String(epoch), profileId]));
  return digestToUnit(digest) < fraction;
}

/**
 * The refresh period containing `nowMs`: ⌊(nowMs − anchorMs) / periodMs⌋, the `epoch` of
 * {@link inGlobalControl}. The anchor lets a tenant choose when periods start (e.g. a Monday).
 */
export function globalControlEpoch(nowMs: number, periodMs: number, anchorMs = 0): number {
  if (!(periodMs > 0) || !Number.isFinite(periodMs)) {
    throw new RangeError(
      `globalControlEpoch: periodMs must be finite and > 0 (periodMs=${periodMs})`,
    );
  }
  if (!Number.isFinite(nowMs) || !Number.isFinite(anchorMs)) {
    throw new RangeError(
      `globalControlEpoch: times must be finite (nowMs=${nowMs}, anchorMs=${anchorMs})`,
    );
  }
  return Math.floor((nowMs - anchorMs) / periodMs);
}
