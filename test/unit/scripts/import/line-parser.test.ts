import { createHash } from 'node:crypto';

import { ImportSetupError, LineParser, type ParsedRecord } from '../../../../scripts/import/line-parser';

const digest = (text: string) => createHash('sha256').update(text).digest('hex');
const feed = (parser: LineParser, lines: string[]): ParsedRecord[] => {
  const out = lines.map((text, i) => parser.push(text, i + 1)).filter((r): r is ParsedRecord => r !== null);
  const tail = parser.end();
  return tail ? [...out, tail] : out;
};

describe('LineParser (ndjson)', () => {
  it('keeps each object line as an event, skips blank lines and reports bad ones by number', () => {
    const records = feed(new LineParser({ format: 'ndjson', digest }), [
      '{"type":"track","event":"A","userId":"u","messageId":"m1"}',
      '',
      '{"type":"track",',
      '[1,2]',
      '{"type":"identify","userId":"u"}',
    ]);
    expect(records.map((r) => [r.kind, r.line])).toEqual([
      ['event', 1],
      ['bad', 3],
      ['bad', 4],
      ['event', 5],
    ]);
    expect(records[1]).toMatchObject({ reason: expect.stringMatching(/not valid JSON/) });
    expect(records[2]).toMatchObject({ reason: 'a line must be one JSON object (a Segment event)' });
  });

  it('keeps a messageId that is there and derives one from line number and text otherwise', () => {
    const [kept, derived] = feed(new LineParser({ format: 'ndjson', digest }), ['{"messageId":"m1"}', '{"userId":"u"}']) as { event: Record<string, unknown> }[];
    expect(kept.event.messageId).toBe('m1');
    expect(derived.event.messageId).toBe(`import-${digest('2\n{"userId":"u"}').slice(0, 40)}`);
  });

  it('gives identical lines different message ids (two equal purchases stay two)', () => {
    const [a, b] = feed(new LineParser({ format: 'ndjson', digest }), ['{"userId":"u"}', '{"userId":"u"}']) as { event: Record<string, unknown> }[];
    expect(a.event.messageId).not.toBe(b.event.messageId);
  });
});

describe('LineParser (csv)', () => {
  const rules = [
    { target: ['userId'], column: 'id', type: 'string' as const },
    { target: ['timestamp'], column: 'day', type: 'date' as const },
    { target: ['properties', 'revenue'], column: 'amount', type: 'number' as const },
  ];

  it('takes the header from line 1 and maps the rows after it', () => {
    const records = feed(new LineParser({ format: 'csv', rules, constants: [{ target: ['event'], value: 'Order Completed' }], digest }), [
      'id,day,amount',
      'c1,2024-01-02,10',
      'c2,2024-01-03',
      'c3,2024-01-0x,5',
      '"c4",2024-01-04,"7.5"',
    ]);
    expect(records.map((r) => (r.kind === 'bad' ? [r.line, r.reason] : [r.line, r.event.userId]))).toEqual([
      [2, 'c1'],
      [3, 'expected 3 fields, got 2'],
      [4, 'column day: "2024-01-0x" is not a date (ISO-8601, YYYYMMDD or Unix time)'],
      [5, 'c4'],
    ]);
  });

  it('reads a headerless file with --columns from line 1', () => {
    const records = feed(new LineParser({ format: 'csv', columns: ['id', 'day', 'amount'], rules, delimiter: { kind: 'whitespace' }, digest }), [' c1 20240102  3.5']);
    expect(records).toEqual([{ kind: 'event', line: 1, event: expect.objectContaining({ userId: 'c1', timestamp: '2024-01-02T00:00:00.000Z', properties: { revenue: 3.5 } }) }]);
  });

  it('refuses a mapping that names a column the header lacks', () => {
    const parser = new LineParser({ format: 'csv', rules, digest });
    expect(() => parser.push('id,when,amount', 1)).toThrow(ImportSetupError);
    expect(() => new LineParser({ format: 'csv', rules, columns: ['id'], digest })).toThrow(/no column named "day", "amount"/);
  });

  it('reports a quoted field never closed at the line it opened', () => {
    const records = feed(new LineParser({ format: 'csv', rules, digest }), ['id,day,amount', 'c1,2024-01-02,1', 'c2,"2024-01-02,1']);
    expect(records[records.length - 1]).toEqual({ kind: 'bad', line: 3, reason: 'a quoted field is never closed' });
  });
});
