import { normalizeIdentity, type IdentityKind } from '../../../../subgraphs/profiles/domain/identity';

const KINDS: IdentityKind[] = ['user_id', 'email', 'anonymous_id', 'phone', 'external'];

const JUNK = [
  '',
  '   ',
  '\t\n',
  'null',
  'NULL',
  ' undefined ',
  'anonymous',
  'Anonymous',
  'unknown',
  'nil',
  'None',
  '-1',
  ' -1 ',
  '0',
  '000',
  '00000000-0000-0000-0000-000000000000',
  '----',
  '-',
];

describe('normalizeIdentity', () => {
  describe.each(KINDS)('for kind %s', (kind) => {
    it.each(JUNK)('treats %j as junk', (raw) => {
      expect(normalizeIdentity(kind, raw)).toBeNull();
    });
  });

  it.each<[IdentityKind, string, string]>([
    ['email', 'Jane.Doe@Example.COM', 'jane.doe@example.com'],
    ['email', '  jane@example.com \n', 'jane@example.com'],
    ['email', '\tJANE@EXAMPLE.COM ', 'jane@example.com'],
    ['phone', '+1 (555) 010-0199', '+15550100199'],
    ['phone', '  +44 20 7946 0958 ', '+442079460958'],
    ['phone', '555.010.0199', '5550100199'],
    ['phone', '0044-20-7946-0958', '00442079460958'],
    ['phone', '1+555', '1555'],
    ['phone', '++1 555', '+1555'],
    ['user_id', '  u-123  ', 'u-123'],
    ['user_id', 'User-ABC', 'User-ABC'],
    ['user_id', '10', '10'],
    ['user_id', '-10', '-10'],
    ['anonymous_id', '0f8fad5b-d9cb-469f-a165-70867728950e', '0f8fad5b-d9cb-469f-a165-70867728950e'],
    ['anonymous_id', '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000001'],
    ['external', 'crm:Null-Account', 'crm:Null-Account'],
    ['external', 'anonymous-42', 'anonymous-42'],
  ])('normalises %s %j to %j', (kind, raw, expected) => {
    expect(normalizeIdentity(kind, raw)).toBe(expected);
  });

  it.each(['user_id', 'anonymous_id', 'external'] as const)('keeps the case of a %s', (kind) => {
    expect(normalizeIdentity(kind, 'AbC')).toBe('AbC');
  });

  it.each([
    ['a phone made only of punctuation', '(---) ---'],
    ['a phone of zeros with separators', '(000) 000-0000'],
    ['a phone of letters only', 'n/a'],
  ])('treats %s as junk', (_name, raw) => {
    expect(normalizeIdentity('phone', raw)).toBeNull();
  });

  it('adds configured junk values (lower-case) to the built-in list', () => {
    expect(normalizeIdentity('user_id', ' Test-User ', ['test-user'])).toBeNull();
    expect(normalizeIdentity('email', 'NOBODY@example.com', ['nobody@example.com'])).toBeNull();
    expect(normalizeIdentity('user_id', 'real-user', ['test-user'])).toBe('real-user');
  });
});
