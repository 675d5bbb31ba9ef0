import { fullPage, mergeIdPages } from '../../../../../subgraphs/profiles/domain/segments/recheck-page';

describe('mergeIdPages', () => {
  it.each([
    ['merges two short streams without a next page', [['b', 'd'], ['a', 'd']], 3, { ids: ['a', 'b', 'd'], next: null }],
    ['cuts an overflowing union at the limit and continues after it', [['a', 'c'], ['b', 'd']], 3, { ids: ['a', 'b', 'c'], next: 'c' }],
    ['continues after a full stream even when the union fits', [['a', 'b', 'c'], []], 3, { ids: ['a', 'b', 'c'], next: 'c' }],
    ['ends on empty streams', [[], []], 3, { ids: [], next: null }],
  ])('%s', (_name, streams, limit, page) => {
    expect(mergeIdPages(streams, limit)).toEqual(page);
  });

  it('never skips an id: paging through the streams visits every id once', () => {
    const all = Array.from({ length: 23 }, (_, i) => `id${String(i).padStart(2, '0')}`);
    const a = all.filter((_, i) => i % 2 === 0);
    const b = all.filter((_, i) => i % 3 === 0);
    const limit = 4;
    const seen: string[] = [];
    let after: string | null = null;
    for (let guard = 0; guard < 50; guard++) {
      const read = (s: string[]) => s.filter((id) => after === null || id > after).slice(0, limit);
      const page = mergeIdPages([read(a), read(b)], limit);
      seen.push(...page.ids);
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toEqual([...new Set([...a, ...b])].sort());
  });

  it('rejects a limit below 1', () => {
    expect(() => mergeIdPages([], 0)).toThrow(RangeError);
  });
});

describe('fullPage', () => {
  it('continues after a full page only', () => {
    expect(fullPage(['a', 'b'], 2)).toEqual({ ids: ['a', 'b'], next: 'b' });
    expect(fullPage(['a'], 2)).toEqual({ ids: ['a'], next: null });
  });
});
