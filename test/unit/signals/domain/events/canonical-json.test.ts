import { canonicalJson, utf8ByteLength } from '../../../../../subgraphs/signals/domain/events/canonical-json';

describe('canonicalJson', () => {
  it.each([
    ['sorts keys at every depth', { b: 1, a: { d: [{ z: 1, y: 2 }], c: null } }, '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}'],
    ['drops undefined members and nulls undefined items', { a: undefined, b: [undefined, 1] }, '{"b":[null,1]}'],
    ['writes scalars as JSON does', 'x"y', '"x\\"y"'],
  ])('%s', (_name, value, text) => {
    expect(canonicalJson(value)).toBe(text);
  });
});

describe('utf8ByteLength', () => {
  it.each([['', 0], ['abc', 3], ['é', 2], ['€', 3], ['😀', 4], ['a😀é€', 10]])('measures %p as %i bytes', (text, bytes) => {
    expect(utf8ByteLength(text)).toBe(bytes);
    expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, 'utf8'));
  });
});
