import { addEmailTracking } from '../../../../subgraphs/actions/domain/tracked-html';

const tracking = { pixelUrl: 'https://cx.example.com/t/o/TOKEN', linkUrl: (target: string) => `https://cx.example.com/t/c/[${target}]` };
const track = (html: string) => addEmailTracking(html, tracking);
const PIXEL = '<img src="https://cx.example.com/t/o/TOKEN" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />';

describe('addEmailTracking', () => {
  it('adds the open pixel before </body>, or at the end without one', () => {
    expect(track('<html><body><p>Hi</p></body></html>')).toBe(`<html><body><p>Hi</p>${PIXEL}</body></html>`);
    expect(track('<p>Hi</p>')).toBe(`<p>Hi</p>${PIXEL}`);
    expect(track('<BODY>a</BODY >')).toBe(`<BODY>a${PIXEL}</BODY >`);
  });

  it.each([
    ['double-quoted', '<a href="https://shop.example.com/offer">Offer</a>', 'https://shop.example.com/offer'],
    ['single-quoted', "<a class='x' href='http://shop.example.com/'>Shop</a>", 'http://shop.example.com/'],
    ['unquoted', '<a href=https://shop.example.com/x>x</a>', 'https://shop.example.com/x'],
    ['upper-case scheme and tag', '<A HREF="HTTPS://shop.example.com/">x</A>', 'HTTPS://shop.example.com/'],
    ['an area of an image map', '<area shape="rect" href="https://shop.example.com/map">', 'https://shop.example.com/map'],
  ])('rewrites a %s http(s) link to its tracked URL', (_name, html, target) => {
    const out = track(html);
    expect(out).toContain(`href="https://cx.example.com/t/c/[${target}]"`);
    expect(out.match(/href=/gi)).toHaveLength(1);
  });

  it('signs the URL the reader follows (entities decoded) and escapes the tracked URL in the attribute', () => {
    const out = track('<a href="https://shop.example.com/o?a=1&amp;b=&#x32;&quot;">x</a>');
    // the target had &, " decoded: the attribute escapes them again
    expect(out).toContain('href="https://cx.example.com/t/c/[https://shop.example.com/o?a=1&amp;b=2&quot;]"');
  });

  it('keeps the other attributes of the tag as they were, including a quoted ">"', () => {
    const out = track('<a title="a > b" href="https://shop.example.com/" target="_blank">x</a>');
    expect(out).toBe(`<a title="a > b" href="https://cx.example.com/t/c/[https://shop.example.com/]" target="_blank">x</a>${PIXEL}`);
  });

  it.each([
    ['mailto:', '<a href="mailto:help@shop.example.com">Mail us</a>'],
    ['tel:', '<a href="tel:+441234">Call</a>'],
    ['a relative link', '<a href="/account">Account</a>'],
    ['an anchor', '<a href="#top">Top</a>'],
    ['javascript:', '<a href="javascript:alert(1)">x</a>'],
    ['a protocol-relative link', '<a href="//shop.example.com/">x</a>'],
    ['a link without href', '<a name="top">x</a>'],
    ['a data-href attribute', '<a data-href="https://shop.example.com/">x</a>'],
    ['an http URL that does not parse', '<a href="http://">x</a>'],
  ])('leaves %s alone', (_name, html) => {
    expect(track(html)).toBe(html + PIXEL);
  });

  it('leaves links outside <a>/<area> (images, stylesheets) alone', () => {
    const html = '<img src="https://cdn.example.com/logo.png"><link href="https://cdn.example.com/s.css">';
    expect(track(html)).toBe(html + PIXEL);
  });
});
