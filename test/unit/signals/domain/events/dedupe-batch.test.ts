import { dedupeByMessageId } from '../../../../../subgraphs/signals/domain/events/dedupe-batch';

describe('dedupeByMessageId', () => {
  it.each([
    ['keeps distinct events', ['a', 'b'], ['a', 'b'], 0],
    ['keeps the first of repeats, in order', ['a', 'b', 'a', 'c', 'b'], ['a', 'b', 'c'], 2],
    ['handles an empty batch', [], [], 0],
  ])('%s', (_name, ids, kept, repeats) => {
    const result = dedupeByMessageId(ids.map((messageId, i) => ({ messageId, i })));
    expect(result.unique.map((e) => e.messageId)).toEqual(kept);
    expect(result.repeats).toBe(repeats);
  });
});
