/**
 * The one table of string size caps for what clients store through GraphQL mutations, enforced
 * at every subgraph's edge before any resolver runs (`input-limits.ts`). A cap is the ceiling:
 * some fields have a stricter rule of their own in their validator (a segment name is 1–200
 * characters, a channel name 1–64 of a restricted set), which the field's description names.
 * Lengths are in UTF-16 code units (JavaScript `length`), as every validator counts them.
 * Operators may change any entry with `INPUT_STRING_LIMITS` (see config.ts).
 */
export const INPUT_STRING_LIMITS = Object.freeze({
  // typed String fields and arguments, by field name
  /** Names of rules, playbooks, channels, segments, journeys, trait features. */
  name: 200,
  description: 2000,
  team: 100,
  escalateToTeam: 100,
  title: 500,
  assignee: 200,
  note: 5000,
  reason: 500,
  /** A channel secret (or `env:NAME`). */
  secret: 4096,
  /** An identity's value (email, phone, user id). */
  value: 512,
  email: 512,
  /** Message templates (`triggerAction`; the same names inside playbook steps). */
  subject: 500,
  to: 500,
  body: 10_000,
  html: 100_000,
  /** Every other typed String or ID: event names, keys, enum-like labels, ids. */
  text: 255,
  /** Any string inside a JSON argument (traits, steps, config, condition, overrides), key or value. */
  json: 10_000,
});

export type InputStringLimits = { readonly [K in keyof typeof INPUT_STRING_LIMITS]: number };
export type InputStringLimitName = keyof InputStringLimits;

/**
 * Keys whose string values inside a JSON argument take their own cap instead of `json`: an
 * email's HTML body in a playbook step is legitimately larger than any other setting.
 */
export const WIDE_JSON_KEYS: readonly InputStringLimitName[] = ['html'];

/**
 * Mutations left to their own per-item validation: `ingestEvents` refuses a bad event by its
 * index and keeps its neighbours (Segment's limits, validate-event.ts), which a refusal of the
 * whole operation here would undo.
 */
export const PER_ITEM_VALIDATED_MUTATIONS: readonly string[] = ['ingestEvents'];
