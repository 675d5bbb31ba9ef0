// Splitting delimited text (CSV, TSV, whitespace-aligned columns) into fields, one physical line at
// a time, so a large file streams; a quoted field may run over several lines (RFC 4180).

/** How fields are separated: one character (`,` `;` `\t` `|`…) or runs of spaces and tabs. */
export type Delimiter = { kind: 'char'; char: string } | { kind: 'whitespace' };

/**
 * Reads a `--delimiter` value: `comma` (default `,`), `tab`, `semicolon`, `pipe`, `whitespace`
 * (runs of spaces/tabs, leading ones ignored: fixed-width exports such as CDNOW_sample.txt), or
 * any single character. The reason string when the value is none of these.
 */
export function parseDelimiter(value: string | undefined): Delimiter | string {
  const named: Record<string, string> = { comma: ',', tab: '\t', semicolon: ';', pipe: '|' };
  if (value === undefined || value === '') return { kind: 'char', char: ',' };
  if (value === 'whitespace' || value === 'space') return { kind: 'whitespace' };
  if (named[value]) return { kind: 'char', char: named[value] };
  if (value === '\\t') return { kind: 'char', char: '\t' };
  if (value.length === 1 && value !== '"' && value !== '\n' && value !== '\r') return { kind: 'char', char: value };
  return `--delimiter must be one character or comma, tab, semicolon, pipe, whitespace (got ${JSON.stringify(value)})`;
}

/** The fields of a record, or `incomplete` when a quoted field is still open at the line's end. */
export type SplitResult = { fields: string[] } | { incomplete: true };

/**
 * Splits one record into fields. With a character delimiter, a field may be quoted with `"` (a
 * doubled `""` inside is one quote; delimiters and line breaks inside quotes are data). With
 * `whitespace`, fields are the non-blank runs and quotes are not special.
 */
export function splitRecord(text: string, delimiter: Delimiter): SplitResult {
  if (delimiter.kind === 'whitespace') {
    const trimmed = text.trim();
    return { fields: trimmed === '' ? [] : trimmed.split(/[ \t]+/) };
  }
  const sep = delimiter.char;
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
      } else {
        field += ch;
      }
    } else if (ch === '"' && field.trim() === '') {
      // a quote opens a quoted field only at its start (surrounding blanks tolerated)
      field = '';
      quoted = true;
    } else if (ch === sep) {
      fields.push(field);
      field = '';
    } else {
      field += ch;
    }
    i++;
  }
  if (quoted) return { incomplete: true };
  fields.push(field);
  return { fields };
}

/**
 * Joins physical lines into records: feed it each line (without its line break) and its 1-based
 * number; it returns the record once complete, with the number of the line it started on.
 */
export class RecordAssembler {
  private pending: { text: string; line: number } | null = null;

  constructor(private readonly delimiter: Delimiter) {}

  /** The completed record, or null while a quoted field spans into the next line. */
  push(text: string, line: number): { fields: string[]; line: number } | null {
    const start = this.pending ?? { text: '', line };
    const joined = this.pending ? `${this.pending.text}\n${text}` : text;
    const split = splitRecord(joined, this.delimiter);
    if ('incomplete' in split) {
      this.pending = { text: joined, line: start.line };
      return null;
    }
    this.pending = null;
    return { fields: split.fields, line: start.line };
  }

  /** The line an unterminated quoted field started on, once the input has ended; null when none. */
  unterminatedAt(): number | null {
    return this.pending?.line ?? null;
  }
}
