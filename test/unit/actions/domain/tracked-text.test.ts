import { addTextLinkTracking } from '../../../../subgraphs/actions/domain/tracked-text';

/** Marks each tracked target visibly, so a test sees what was rewritten and what was kept. */
const track = (target: string) => `[T:${target}]`;

describe('addTextLinkTracking', () => {
  it.each([
    ['a bare link', 'Go to https://shop.example.com/offer now', 'Go to [T:https://shop.example.com/offer] now'],
    ['a link ending a sentence', 'See https://shop.example.com/a.', 'See [T:https://shop.example.com/a].'],
    ['punctuation runs after a link', 'Really? https://x.example/a?!', 'Really? [T:https://x.example/a]?!'],
    ['a link in parentheses', '(https://x.example/a)', '([T:https://x.example/a])'],
    ['brackets that belong to the link', 'https://en.example.org/wiki/Foo_(bar) ok', '[T:https://en.example.org/wiki/Foo_(bar)] ok'],
    ['a link in angle brackets (RFC 3986 C)', 'Offer: <https://x.example/a?b=1&c=2>', 'Offer: <[T:https://x.example/a?b=1&c=2]>'],
    ['a quoted link', 'click "https://x.example/q"', 'click "[T:https://x.example/q]"'],
    ['query and fragment', 'https://x.example/p?code=SAVE20&utm=mail#top', '[T:https://x.example/p?code=SAVE20&utm=mail#top]'],
    ['http and mixed-case schemes', 'HTTP://X.example/a and http://y.example', '[T:HTTP://X.example/a] and [T:http://y.example]'],
    ['several links on several lines, indentation kept', 'a:\n  https://x.example/1\n\tb: https://x.example/2\r\n', 'a:\n  [T:https://x.example/1]\n\tb: [T:https://x.example/2]\r\n'],
  ])('tracks %s', (_name, text, expected) => {
    expect(addTextLinkTracking(text, track)).toBe(expected);
  });

  it.each([
    ['mailto and tel', 'Write to mailto:help@x.example or call tel:+4420'],
    ['a bare domain and a relative path', 'www.x.example or /account'],
    ['a scheme without a host', 'the prefix https:// alone'],
    ['an ftp link', 'ftp://files.x.example/a'],
    ['a scheme inside a word', 'xhttps://x.example'],
  ])('leaves %s alone', (_name, text) => {
    expect(addTextLinkTracking(text, track)).toBe(text);
  });

  it('passes the target exactly as written, once per occurrence', () => {
    const seen: string[] = [];
    addTextLinkTracking('https://x.example/a, https://x.example/a; https://x.example/b', (t) => (seen.push(t), t));
    expect(seen).toEqual(['https://x.example/a', 'https://x.example/a', 'https://x.example/b']);
  });
});
