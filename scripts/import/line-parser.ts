// Turns the lines of an import file into Segment events, or per-line reasons for refusing them.
// Pure: the caller reads the file and supplies the digest used for message ids.
import { eventFromRecord, missingColumns, type ColumnRule, type ConstantMember } from './column-mapping';
import { RecordAssembler, type Delimiter } from './csv-record';

/** `ndjson`: one Segment event (a JSON object) per line. `csv`: delimited columns and a `--map`. */
export type ImportFormat = 'ndjson' | 'csv';

export interface LineParserOptions {
  format: ImportFormat;
  /** CSV only. */
  delimiter?: Delimiter;
  /** CSV only: names of the columns of a file without a header line; absent when line 1 is the header. */
  columns?: readonly string[];
  /** CSV only: which column fills which member (see `parseColumnMapping`). */
  rules?: readonly ColumnRule[];
  /** CSV only: members set on every event (`--event`, `--type`). */
  constants?: readonly ConstantMember[];
  /**
   * Hex digest (SHA-256) of a text. An event without `messageId` gets
   * `import-<digest of its line number and text>`, so importing the same file again sends
   * nothing new (the API drops repeated message ids), while identical lines stay distinct events.
   */
  digest: (text: string) => string;
}

/** What one record of the file became. `line` is 1-based, the line the record starts on. */
export type ParsedRecord = { kind: 'event'; line: number; event: Record<string, unknown> } | { kind: 'bad'; line: number; reason: string };

/** The file cannot be imported at all (e.g. a mapped column is not in the header). */
export class ImportSetupError extends Error {}

/** Reads records line by line; keeps the header and any quoted field that spans lines. */
export class LineParser {
  private header: readonly string[] | null;
  private readonly assembler: RecordAssembler | null;

  constructor(private readonly options: LineParserOptions) {
    this.header = options.columns ?? null;
    this.assembler = options.format === 'csv' ? new RecordAssembler(options.delimiter ?? { kind: 'char', char: ',' }) : null;
    if (options.format === 'csv' && this.header) this.checkHeader(this.header);
  }

  /** The record a line completes (none for a blank line, the header, or the middle of a quoted field). */
  push(text: string, line: number): ParsedRecord | null {
    if (this.options.format === 'ndjson') return this.ndjson(text, line);
    if (text.trim() === '' && this.assembler?.unterminatedAt() === null) return null;
    const record = this.assembler!.push(text, line);
    if (!record) return null;
    if (!this.header) {
      this.header = record.fields.map((f) => f.trim());
      this.checkHeader(this.header);
      return null;
    }
    return this.csv(record.fields, record.line);
  }

  /** What is left once the input ended: an unterminated quoted field. */
  end(): Extract<ParsedRecord, { kind: 'bad' }> | null {
    const line = this.assembler?.unterminatedAt() ?? null;
    return line === null ? null : { kind: 'bad', line, reason: 'a quoted field is never closed' };
  }

  private checkHeader(header: readonly string[]): void {
    const problem = missingColumns(this.options.rules ?? [], header);
    if (problem) throw new ImportSetupError(problem);
  }

  private ndjson(text: string, line: number): ParsedRecord | null {
    if (text.trim() === '') return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { kind: 'bad', line, reason: `not valid JSON (${(err as Error).message})` };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { kind: 'bad', line, reason: 'a line must be one JSON object (a Segment event)' };
    const event = parsed as Record<string, unknown>;
    if (event.messageId === undefined || event.messageId === null || event.messageId === '') event.messageId = this.messageId(line, text);
    return { kind: 'event', line, event };
  }

  private csv(fields: readonly string[], line: number): ParsedRecord {
    const header = this.header!;
    if (fields.length !== header.length) return { kind: 'bad', line, reason: `expected ${header.length} fields, got ${fields.length}` };
    const record: Record<string, string> = {};
    header.forEach((name, i) => (record[name] = fields[i]));
    const mapped = eventFromRecord(record, this.options.rules ?? [], this.options.constants ?? []);
    if ('error' in mapped) return { kind: 'bad', line, reason: mapped.error };
    mapped.event.messageId ??= this.messageId(line, fields.join('\u001f'));
    return { kind: 'event', line, event: mapped.event };
  }

  private messageId(line: number, text: string): string {
    return `import-${this.options.digest(`${line}\n${text}`).slice(0, 40)}`;
  }
}
