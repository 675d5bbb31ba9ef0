/**
 * Regular expressions a tenant admin may set (the retry-loop `failurePattern`), restricted so that
 * none can take super-linear time. JavaScript's backtracking engine runs a pattern such as
 * `(a+)+$` in exponential time on a short input, and the pattern runs on every event of the shared
 * signals process: one tenant's setting would freeze detection for every tenant.
 *
 * The restricted syntax keeps what event-name matching needs (anchors, classes, alternation,
 * groups, simple quantifiers) and refuses what makes backtracking blow up:
 * - a quantifier on a group that itself contains a quantifier or an alternation (star height
 *   above one: `(a+)+`, `(a|aa)*`, `(\w+\s?)*`), the source of catastrophic backtracking;
 * - backreferences and lookaround, which the linear-time subset excludes;
 * - patterns longer than `MAX_PATTERN_LENGTH`.
 * What remains is matched by the backtracking engine in time polynomial of low degree in the
 * input, which is an event name of at most 255 characters.
 */

export const MAX_PATTERN_LENGTH = 200;

/** Why the pattern is refused, or null when it is safe and valid. */
export function unsafePatternReason(pattern: string): string | null {
  if (pattern.length > MAX_PATTERN_LENGTH) return `longer than ${MAX_PATTERN_LENGTH} characters`;
  try {
    new RegExp(pattern, 'i');
  } catch {
    return 'not a valid regular expression';
  }
  /** Per open group: whether it holds a quantifier or an alternation. */
  const groups: boolean[] = [];
  /** Whether the atom just closed (a group) held one: a quantifier after it is nested. */
  let lastGroupRisky = false;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'backreferences are not allowed';
      i++;
      lastGroupRisky = false;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      lastGroupRisky = false;
      continue;
    }
    if (c === '(') {
      if (pattern.startsWith('(?=', i) || pattern.startsWith('(?!', i) || pattern.startsWith('(?<=', i) || pattern.startsWith('(?<!', i)) {
        return 'lookahead and lookbehind are not allowed';
      }
      groups.push(false);
      lastGroupRisky = false;
      continue;
    }
    if (c === ')') {
      lastGroupRisky = groups.pop() ?? false;
      // the enclosing group holds whatever this one held
      if (lastGroupRisky && groups.length) groups[groups.length - 1] = true;
      continue;
    }
    const quantifier = c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(pattern.slice(i)));
    if (quantifier) {
      // `?` right after a quantifier makes it lazy; it is not another quantifier
      if (c === '?' && i > 0 && /[*+?}]/.test(pattern[i - 1]) && pattern[i - 2] !== '\\') continue;
      if (lastGroupRisky && c !== '?') return 'a repeated group may not contain a repetition or an alternation (e.g. (a+)+): it can take exponential time';
      if (groups.length) groups[groups.length - 1] = true;
      if (c === '{') i = pattern.indexOf('}', i);
      lastGroupRisky = false;
      continue;
    }
    if (c === '|' && groups.length) groups[groups.length - 1] = true;
    lastGroupRisky = false;
  }
  return null;
}

const compiled = new Map<string, RegExp>();
/** Patterns kept compiled; a tenant changes its settings rarely. */
const COMPILED_MAX = 1000;

/** The pattern compiled case-insensitively, cached: detection runs it on every event. */
export function compiledPattern(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (!regex) {
    if (compiled.size >= COMPILED_MAX) compiled.clear();
    regex = new RegExp(pattern, 'i');
    compiled.set(pattern, regex);
  }
  return regex;
}
