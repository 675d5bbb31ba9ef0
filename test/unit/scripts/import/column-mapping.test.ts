import { eventFromRecord, parseColumnMapping, parseDate, readValue, type ColumnRule } from '../../../../scripts/import/column-mapping';

const rules = (spec: string): ColumnRule[] => {
  const parsed = parseColumnMapping([spec]);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
};

describe('parseColumnMapping', () => {
  it('reads target=column[:type] lists, timestamps defaulting to date', () => {
    expect(parseColumnMapping(['userId=customer_id,timestamp=date', 'properties.revenue=amount:number'])).toEqual([
      { target: ['userId'], column: 'customer_id', type: 'string' },
      { target: ['timestamp'], column: 'date', type: 'date' },
      { target: ['properties', 'revenue'], column: 'amount', type: 'number' },
    ]);
  });

  it.each([
    ['no equals sign', 'userId', /expected target=column/],
    ['an unknown top-level target', 'email=mail', /unknown target "email"/],
    ['a nested target outside properties/traits/context', 'foo.bar=x', /nested targets start with/],
    ['an unknown type', 'properties.n=x:float', /unknown type "float"/],
    ['a target mapped twice', 'userId=a,userId=b', /mapped twice/],
    ['a reserved name', 'properties.__proto__=x', /reserved/],
  ])('refuses %s', (_name, spec, message) => {
    expect(parseColumnMapping([spec])).toMatch(message);
  });

  it('reports every problem at once, one per line', () => {
    const problems = parseColumnMapping(['email=mail,properties.n=x:float']) as string;
    expect(problems.split('\n')).toHaveLength(2);
  });
});

describe('readValue', () => {
  it.each([
    ['number', '12.5', 12.5],
    ['number', '-3e2', -300],
    ['number', '1,234', undefined],
    ['number', 'abc', undefined],
    ['integer', '42', 42],
    ['integer', '4.2', undefined],
    ['boolean', 'Yes', true],
    ['boolean', '0', false],
    ['boolean', 'maybe', undefined],
    ['yyyymmdd', '19970101', '1997-01-01T00:00:00.000Z'],
    ['yyyymmdd', '1997-01-01', undefined],
    ['yyyymmdd', '19970231', undefined],
    ['unix', '86400', '1970-01-02T00:00:00.000Z'],
    ['unixms', '1000', '1970-01-01T00:00:01.000Z'],
    ['json', '{"a":[1]}', { a: [1] }],
    ['json', '{a', undefined],
  ] as const)('%s %j → %j', (type, text, expected) => {
    expect(readValue(text, type)).toEqual(expected);
  });
});

describe('parseDate', () => {
  it.each([
    ['YYYYMMDD', '19980630', '1998-06-30T00:00:00.000Z'],
    ['a date alone, as UTC midnight', '2024-03-01', '2024-03-01T00:00:00.000Z'],
    ['a zone-less date-time, as UTC', '2024-03-01 12:30', '2024-03-01T12:30:00.000Z'],
    ['a UTC date-time', '2024-03-01T12:30:05.25Z', '2024-03-01T12:30:05.250Z'],
    ['an offset', '2024-03-01T12:30:00+02:00', '2024-03-01T10:30:00.000Z'],
    ['Unix seconds (10 digits)', '1700000000', '2023-11-14T22:13:20.000Z'],
    ['Unix ms (13 digits)', '1700000000000', '2023-11-14T22:13:20.000Z'],
    ['an impossible day', '2023-02-29', undefined],
    ['an impossible hour', '2024-03-01T25:00:00Z', undefined],
    ['words', 'yesterday', undefined],
  ])('reads %s', (_name, text, expected) => {
    expect(parseDate(text)).toBe(expected);
  });
});

describe('eventFromRecord', () => {
  const cdnow = rules('userId=customer_id,timestamp=date:yyyymmdd,properties.revenue=amount:number,properties.quantity=cds:integer');
  const row = { master_id: '00004', customer_id: '0001', date: '19970118', cds: '2', amount: '29.73' };

  it('builds a track event from a row, constants first', () => {
    expect(eventFromRecord(row, cdnow, [{ target: ['event'], value: 'Order Completed' }])).toEqual({
      event: {
        type: 'track',
        event: 'Order Completed',
        userId: '0001',
        timestamp: '1997-01-18T00:00:00.000Z',
        properties: { revenue: 29.73, quantity: 2 },
      },
    });
  });

  it('makes an identify of a row without an event name, nesting dotted traits', () => {
    const mapped = eventFromRecord({ id: 'c1', plan: 'pro', city: 'Oslo' }, rules('userId=id,traits.plan=plan,traits.address.city=city'));
    expect(mapped).toEqual({ event: { type: 'identify', userId: 'c1', traits: { plan: 'pro', address: { city: 'Oslo' } } } });
  });

  it('leaves an empty cell out', () => {
    expect(eventFromRecord({ ...row, amount: '' }, cdnow, [{ target: ['event'], value: 'x' }])).toMatchObject({ event: { properties: { quantity: 2 } } });
  });

  it('says which column could not be read and why', () => {
    expect(eventFromRecord({ ...row, date: '1997-13-01' }, cdnow)).toEqual({ error: 'column date: "1997-13-01" is not a YYYYMMDD date' });
    expect(eventFromRecord({ ...row, amount: 'ten' }, cdnow)).toEqual({ error: 'column amount: "ten" is not a number' });
  });
});
