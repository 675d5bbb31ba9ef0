/**
 * Message templates of playbook steps: `{{profile.traits.firstName}}`, `{{risk.score}}`,
 * `{{alert.message}}`. A variable is a dot path into the run's facts; a missing one renders as
 * the empty string. Nothing else is interpreted (no logic, no helpers), so a template cannot run
 * code or read anything but the facts.
 */

const VARIABLE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PATH = /^(profile|risk|alert)(\.[A-Za-z0-9_]+)+$/;

/** What is wrong with a template's variables (empty: nothing). */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  for (const [, path] of template.matchAll(VARIABLE)) {
    if (!PATH.test(path)) problems.push(`unknown variable {{${path}}}: use {{profile.…}}, {{risk.…}} or {{alert.…}}`);
  }
  return problems;
}

/** The value at a dot path (`risk.bucket`), or undefined. */
export function lookup(facts: unknown, path: string): unknown {
  let at: unknown = facts;
  for (const key of path.split('.')) {
    if (at === null || typeof at !== 'object' || !Object.prototype.hasOwnProperty.call(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/**
 * Fills a template from the facts. `html`: every value is HTML-escaped (the template's own markup
 * is kept), so a trait cannot inject markup into an email.
 */
export function renderTemplate(template: string, facts: unknown, mode: 'text' | 'html'): string {
  return template.replace(VARIABLE, (_m, path: string) => {
    const value = lookup(facts, path);
    const text = value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    return mode === 'html' ? escapeHtml(text) : text;
  });
}

/** Escapes the five characters that matter in HTML text and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
