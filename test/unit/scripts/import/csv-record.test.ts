import { parseDelimiter, RecordAssembler, splitRecord } from '../../../../scripts/import/csv-record';

const comma = { kind: 'char', char: ',' } as const;

describe('splitRecord', () => {
  it.each([
    ['plain fields', 'a,b,c', ['a', 'b', 'c']],
    ['empty fields', 'a,,', ['a', '', '']],
    ['a quoted delimiter', '"a,b",c', ['a,b', 'c']],
    ['a doubled quote', '"say ""hi""",x', ['say "hi"', 'x']],
    ['a quote inside an unquoted field, as data', 'a"b,c', ['a"b', 'c']],
  ])('splits %s', (_name, text, fields) => {
    expect(splitRecord(text, comma)).toEqual({ fields });
  });

  it('says a record is incomplete while a quoted field is open', () => {
    expect(splitRecord('a,"b', comma)).toEqual({ incomplete: true });
  });

  it('splits on runs of blanks with the whitespace delimiter, ignoring leading ones', () => {
    expect(splitRecord(' 00004 0001 19970101  2   29.33', { kind: 'whitespace' })).toEqual({ fields: ['00004', '0001', '19970101', '2', '29.33'] });
  });
});

describe('RecordAssembler', () => {
  it('joins a quoted field over lines and numbers the record by its first line', () => {
    const assembler = new RecordAssembler(comma);
    expect(assembler.push('1,"two', 5)).toBeNull();
    expect(assembler.unterminatedAt()).toBe(5);
    expect(assembler.push('lines",3', 6)).toEqual({ fields: ['1', 'two\nlines', '3'], line: 5 });
    expect(assembler.unterminatedAt()).toBeNull();
  });
});

describe('parseDelimiter', () => {
  it.each([
    [undefined, { kind: 'char', char: ',' }],
    ['tab', { kind: 'char', char: '\t' }],
    ['whitespace', { kind: 'whitespace' }],
    [';', { kind: 'char', char: ';' }],
  ])('reads %p', (value, expected) => {
    expect(parseDelimiter(value)).toEqual(expected);
  });

  it('refuses a word it does not know and the quote character', () => {
    expect(parseDelimiter('colon')).toMatch(/--delimiter/);
    expect(parseDelimiter('"')).toMatch(/--delimiter/);
  });
});
