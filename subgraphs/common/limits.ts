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

/**
 * The one table of the caps the domain validators enforce per field (`domain/validate-*.ts` in
 * every subgraph): string lengths (UTF-16 code units) and counts of items. Each validator reads
 * its caps here rather than keeping a literal of its own, so a cap is changed in one place and the
 * tests (`test/unit/common/field-limits.test.ts`) check each entry where it is enforced. Entries
 * are grouped by what they bound; an entry used by two validators means the same thing in both.
 */
export const FIELD_LIMITS = Object.freeze({
  // names and free text (alert rules, playbooks)
  /** An alert rule's or a playbook's name (trimmed, at least 1). */
  nameLength: INPUT_STRING_LIMITS.name,
  /** A playbook's description. */
  descriptionLength: INPUT_STRING_LIMITS.description,
  /** A team an alert or task is routed to (rule `team`, task step `team` / `escalateToTeam`). */
  teamLength: INPUT_STRING_LIMITS.team,
  /** A task step's title template. */
  titleLength: INPUT_STRING_LIMITS.title,
  // message templates inside playbook steps (the same names as `triggerAction`'s)
  subjectLength: INPUT_STRING_LIMITS.subject,
  toLength: INPUT_STRING_LIMITS.to,
  bodyLength: INPUT_STRING_LIMITS.body,
  htmlLength: INPUT_STRING_LIMITS.html,
  /** A value template of a webhook step's `data`. */
  webhookDataValueLength: INPUT_STRING_LIMITS.json,
  /** A string value of a `setTraits` step. */
  traitValueLength: 1000,
  // identifiers
  /** A channel's own name (letters, digits, `_ . -`). */
  channelNameLength: 64,
  /** A channel named by a playbook step or a contact policy. */
  channelRefLength: 100,
  /** A score kind or signal type an alert rule triggers on (`churn`, `retry_loop`). */
  kindLength: 64,
  /** A playbook step's id. */
  stepIdLength: 64,
  /** A variant's name in an experiment step. */
  variantNameLength: 32,
  /** A key of a webhook step's `data` or a `setTraits` step's traits. */
  stepKeyLength: 64,
  /** An IANA time zone name (contact policy). */
  timezoneLength: 64,
  /** A Twilio account SID (SMS channel config). */
  accountSidLength: 64,
  /** An event name or property a playbook's `waitForEvent` step (or an experiment's goal) matches. */
  waitEventNameLength: 200,
  /** A support or churn event name of the measurement settings (`supportEvents`, `churnEvents`). */
  contactEventNameLength: 200,
  /** A fact path a playbook branch condition reads (`profile.traits.plan`). */
  factFieldLength: 200,
  /** An event's ids and names (messageId, userId, anonymousId, event/page name; Segment's stored width). */
  eventIdLength: 255,
  /** An event name a segment's `performed` leaf counts (the stored event name's width). */
  segmentEventNameLength: 255,
  // counts
  /** Segments one alert rule may watch. */
  alertRuleSegments: 50,
  /** Steps of a playbook. */
  playbookSteps: 50,
  /** Arms of a branch step. */
  branchArms: 20,
  /** Conditions of one branch arm (and of a `waitForEvent` or experiment goal's `where`). */
  armConditions: 20,
  /** Keys of a webhook step's `data` or of a `setTraits` step. */
  stepKeys: 50,
  /** Names in `supportEvents` or in `churnEvents`. */
  contactEventNames: 20,
  /** Sends a contact policy's frequency cap may allow per window. */
  contactCapCount: 1000,
  /** The largest `atLeast` of a segment's `performed` leaf. */
  segmentPerformedAtLeast: 1_000_000,
  // a segment's condition tree (the defaults of `SEGMENT_CONDITION_LIMITS`), so evaluating it stays cheap
  /** Nesting depth (the root is depth 1). */
  segmentConditionDepth: 8,
  /** Nodes of the whole tree. */
  segmentConditionNodes: 200,
  /** Distinct (event, window) pairs its `performed` leaves count. */
  segmentConditionEventWindows: 20,
  /** Values of one `in` list. */
  segmentConditionListValues: 1000,
  /** A path or string value. */
  segmentConditionStringLength: 512,
  /** A window (`withinDays`, `notSeenForDays`), in days. */
  segmentConditionDays: 3650,
});

export type FieldLimits = typeof FIELD_LIMITS;
