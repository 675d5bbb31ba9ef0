/**
 * What every stored JSON value of an event must satisfy, checked before anything serializes or
 * hashes it: recursive code (the canonical JSON of a derived messageId, the ORM's
 * `JSON.stringify`) overflows the stack on a deep enough value, and PostgreSQL refuses a NUL
 * character anywhere in text or `jsonb`, and a lone UTF-16 surrogate in `jsonb` (the JSON text
 * then holds `\ud800`, which is not a character). Any of those would fail the whole insert and
 * lose the good events of the batch with the bad one.
 */

/** Deepest nesting of objects and arrays in `properties`, `traits` or `context`. */
export const MAX_JSON_DEPTH = 32;

/** A NUL, or a surrogate that is not half of a pair (with the `u` flag a pair is one code point). */
const UNSTORABLE = /[\0\p{Cs}]/u;

/** Why a string cannot be stored, or null. */
export function unstorableText(text: string): string | null {
  const match = UNSTORABLE.exec(text);
  if (!match) return null;
  return match[0] === '\0' ? 'contains a NUL character (\\u0000)' : 'contains an unpaired UTF-16 surrogate (not valid Unicode)';
}

/** Longest path quoted in a reason: the answer to a hostile event stays small. */
const MAX_PATH_CHARS = 120;

function named(path: string): string {
  if (!path) return 'the event';
  return path.length > MAX_PATH_CHARS ? `${path.slice(0, MAX_PATH_CHARS)}…` : path;
}

/** Where a value sits: its parent and its key or index. The path text is built only for a refusal. */
interface Place {
  parent: Place | null;
  segment: string | number;
}

function pathOf(place: Place | null, root: string): string {
  const segments: (string | number)[] = [];
  for (let p = place; p; p = p.parent) segments.push(p.segment);
  let path = root;
  for (const segment of segments.reverse()) path = typeof segment === 'number' ? `${path}[${segment}]` : path ? `${path}.${segment}` : segment;
  return path;
}

/**
 * Why `value` cannot be stored as JSON (nesting deeper than `maxDepth`, or an unstorable string
 * as a key or a value), naming the path (`properties.a.b[2]`), or null. Iterative: a hostile depth
 * cannot overflow the checker itself. It runs on every ingested event, so a well-formed value
 * costs one visit per node and no path text.
 */
export function jsonShapeProblem(value: unknown, path = '', maxDepth = MAX_JSON_DEPTH): string | null {
  const stack: { value: unknown; place: Place | null; depth: number }[] = [{ value, place: null, depth: 0 }];
  while (stack.length) {
    const item = stack.pop()!;
    if (typeof item.value === 'string') {
      const problem = unstorableText(item.value);
      if (problem) return `${named(pathOf(item.place, path))} ${problem}`;
      continue;
    }
    if (typeof item.value !== 'object' || item.value === null) continue;
    if (item.depth >= maxDepth) return `${named(pathOf(item.place, path))} nests deeper than ${maxDepth} levels`;
    if (Array.isArray(item.value)) {
      item.value.forEach((child, i) => stack.push({ value: child, place: { parent: item.place, segment: i }, depth: item.depth + 1 }));
      continue;
    }
    for (const [key, child] of Object.entries(item.value)) {
      const keyProblem = unstorableText(key);
      if (keyProblem) return `${named(pathOf(item.place, path))}: a key ${keyProblem}`;
      stack.push({ value: child, place: { parent: item.place, segment: key }, depth: item.depth + 1 });
    }
  }
  return null;
}
