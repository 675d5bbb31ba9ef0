// The `--map` syntax of `npm run import`: which CSV column fills which member of a Segment event,
// and how the cell's text is read. Pure: no I/O.

/**
 * How a cell's text becomes a JSON value.
 * - `string` (default): as written.
 * - `number`, `integer`: a finite number (`1,234.5` is refused: no thousands separators).
 * - `boolean`: true/false, yes/no, 1/0, y/n (any case).
 * - `date`: ISO-8601 (`2024-03-01T12:00:00Z`; without a zone, or date-only, read as UTC),
 *   `YYYYMMDD`, or Unix time (10 digits: seconds, 13: milliseconds). The default for `timestamp`.
 * - `yyyymmdd`: exactly 8 digits, midnight UTC.
 * - `unix`, `unixms`: seconds or milliseconds since 1970 (UTC).
 * - `json`: a JSON value (objects and arrays included).
 */
export type ValueType = 'string' | 'number' | 'integer' | 'boolean' | 'date' | 'yyyymmdd' | 'unix' | 'unixms' | 'json';

const VALUE_TYPES: readonly ValueType[] = ['string', 'number', 'integer', 'boolean', 'date', 'yyyymmdd', 'unix', 'unixms', 'json'];

/** Event members a column may fill directly; anything else goes under properties/traits/context. */
export const TOP_LEVEL_TARGETS = ['type', 'event', 'name', 'userId', 'anonymousId', 'previousId', 'groupId', 'messageId', 'timestamp'] as const;
/** Objects of a Segment event whose members a column may fill (`properties.revenue`). */
export const NESTED_TARGETS = ['properties', 'traits', 'context'] as const;

/** Targets whose value is a time; they default to `date` and are sent as ISO-8601 UTC. */
const TIME_TARGETS = new Set(['timestamp']);

/** One `target=column[:type]` of `--map`. */
export interface ColumnRule {
  /** Path inside the event, e.g. `['properties', 'revenue']`. */
  target: string[];
  /** Column name, as in the header (or `--columns`). */
  column: string;
  type: ValueType;
}

/**
 * Reads `--map` values. Each value is a comma-separated list of `target=column[:type]`, e.g.
 * `userId=customer_id,timestamp=date:yyyymmdd,properties.revenue=amount:number`; the option may
 * be repeated. `target` is one of `TOP_LEVEL_TARGETS` or `properties.<path>`, `traits.<path>`,
 * `context.<path>` (dots nest). A target may appear once. Returns the rules, or every problem
 * found, one per line.
 */
export function parseColumnMapping(specs: readonly string[]): ColumnRule[] | string {
  const rules: ColumnRule[] = [];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const part of specs.flatMap((spec) => spec.split(',')).map((p) => p.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1) {
      problems.push(`"${part}": expected target=column[:type]`);
      continue;
    }
    const targetText = part.slice(0, eq).trim();
    const source = part.slice(eq + 1).trim();
    const colon = source.lastIndexOf(':');
    const typeText = colon > 0 ? source.slice(colon + 1).trim() : null;
    const column = colon > 0 ? source.slice(0, colon).trim() : source;
    const target = targetText.split('.');
    const targetProblem = checkTarget(target);
    if (targetProblem) problems.push(`"${part}": ${targetProblem}`);
    if (typeText !== null && !(VALUE_TYPES as readonly string[]).includes(typeText)) {
      problems.push(`"${part}": unknown type "${typeText}" (one of ${VALUE_TYPES.join(', ')})`);
    }
    if (seen.has(targetText)) problems.push(`"${part}": ${targetText} is mapped twice`);
    seen.add(targetText);
    if (targetProblem || column === '') continue;
    rules.push({ target, column, type: (typeText as ValueType | null) ?? (TIME_TARGETS.has(targetText) ? 'date' : 'string') });
  }
  return problems.length > 0 ? problems.join('\n') : rules;
}

function checkTarget(path: string[]): string | null {
  if (path.some((segment) => segment === '')) return 'empty path segment in the target';
  if (path.some((segment) => segment === '__proto__' || segment === 'constructor' || segment === 'prototype')) return 'reserved name in the target';
  if (path.length === 1) {
    return (TOP_LEVEL_TARGETS as readonly string[]).includes(path[0])
      ? null
      : `unknown target "${path[0]}" (one of ${TOP_LEVEL_TARGETS.join(', ')}, or properties.*, traits.*, context.*)`;
  }
  return (NESTED_TARGETS as readonly string[]).includes(path[0]) ? null : `unknown target "${path.join('.')}" (nested targets start with properties., traits. or context.)`;
}

/** The mapped columns missing from `columns`, as one message; null when all are there. */
export function missingColumns(rules: readonly ColumnRule[], columns: readonly string[]): string | null {
  const have = new Set(columns);
  const missing = [...new Set(rules.map((r) => r.column).filter((c) => !have.has(c)))];
  return missing.length === 0 ? null : `no column named ${missing.map((c) => JSON.stringify(c)).join(', ')} (columns: ${columns.join(', ')})`;
}

/** A value fixed for every row (`--event`, `--type`), set before the mapped columns. */
export interface ConstantMember {
  target: string[];
  value: unknown;
}

/**
 * The Segment event of one record: the constants, then each rule's cell read as its type. An
 * empty cell leaves its target out. `type` defaults to `track` when the event has a name
 * (`event`), else `identify`. The reason when a cell cannot be read as its type.
 */
export function eventFromRecord(
  record: Readonly<Record<string, string>>,
  rules: readonly ColumnRule[],
  constants: readonly ConstantMember[] = [],
): { event: Record<string, unknown> } | { error: string } {
  const event: Record<string, unknown> = {};
  for (const { target, value } of constants) setPath(event, target, value);
  for (const rule of rules) {
    const text = (record[rule.column] ?? '').trim();
    if (text === '') continue;
    const value = readValue(text, rule.type);
    if (value === undefined) return { error: `column ${rule.column}: ${JSON.stringify(clip(text))} is not ${describeType(rule.type)}` };
    setPath(event, rule.target, value);
  }
  event.type ??= event.event !== undefined ? 'track' : 'identify';
  return { event };
}

/** The JSON value of a cell's text as `type`, or undefined when it is not one. */
export function readValue(text: string, type: ValueType): unknown {
  switch (type) {
    case 'string':
      return text;
    case 'number': {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
      const n = Number(text);
      return Number.isFinite(n) ? n : undefined;
    }
    case 'integer':
      return /^[+-]?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : undefined;
    case 'boolean': {
      const lower = text.toLowerCase();
      if (['true', 'yes', 'y', '1'].includes(lower)) return true;
      if (['false', 'no', 'n', '0'].includes(lower)) return false;
      return undefined;
    }
    case 'date':
      return parseDate(text);
    case 'yyyymmdd':
      return /^\d{8}$/.test(text) ? parseDate(text) : undefined;
    case 'unix':
      return /^\d+(\.\d+)?$/.test(text) ? isoOf(Number(text) * 1000) : undefined;
    case 'unixms':
      return /^\d+$/.test(text) ? isoOf(Number(text)) : undefined;
    case 'json':
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
  }
}

/**
 * A date in one of the `date` forms, as ISO-8601 UTC with milliseconds; undefined when it is
 * none of them or not a real calendar date (20230231 is refused).
 */
export function parseDate(text: string): string | undefined {
  let m = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (m) return calendarIso(+m[1], +m[2], +m[3], 0, 0, 0, 0);
  if (/^\d{10}$/.test(text)) return isoOf(Number(text) * 1000);
  if (/^\d{13}$/.test(text)) return isoOf(Number(text));
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m) return calendarIso(+m[1], +m[2], +m[3], 0, 0, 0, 0);
  m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i.exec(text);
  if (!m) return undefined;
  const ms = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  const local = calendarIso(+m[1], +m[2], +m[3], +m[4], +m[5], +(m[6] ?? 0), ms);
  if (local === undefined || !m[8] || m[8].toUpperCase() === 'Z') return local;
  const zone = /^([+-])(\d{2}):?(\d{2})$/.exec(m[8])!;
  const offsetMs = (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3])) * 60_000;
  return isoOf(Date.parse(local) - offsetMs);
}

function calendarIso(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): string | undefined {
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms));
  // Date.UTC rolls 31 February over into March: refuse what does not round-trip
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return date.toISOString();
}

function isoOf(ms: number): string | undefined {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : undefined;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

function describeType(type: ValueType): string {
  const names: Record<ValueType, string> = {
    string: 'text',
    number: 'a number',
    integer: 'an integer',
    boolean: 'a boolean (true/false, yes/no, 1/0)',
    date: 'a date (ISO-8601, YYYYMMDD or Unix time)',
    yyyymmdd: 'a YYYYMMDD date',
    unix: 'Unix time in seconds',
    unixms: 'Unix time in milliseconds',
    json: 'JSON',
  };
  return names[type];
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
