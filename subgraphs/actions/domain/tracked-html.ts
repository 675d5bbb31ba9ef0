/**
 * Open and click tracking of an email's HTML part: an open pixel, and every http(s) link sent
 * through the gateway's tracking route (which records the click and redirects to the target).
 * Pure text processing; the tracked URLs come from the caller, who signs them.
 */

/** Where the pixel and the tracked links point. */
export interface HtmlTracking {
  /** URL of the open pixel (`{PUBLIC_URL}/t/o/{token}`). */
  pixelUrl: string;
  /** Tracked URL of a link to `target`, an absolute http(s) URL as the reader would follow it (entities decoded). */
  linkUrl: (target: string) => string;
}

/** An `<a>` or `<area>` start tag; quoted attribute values may contain `>`. */
const LINK_TAG = /<(a|area)\b((?:[^>"']|"[^"]*"|'[^']*')*)>/gi;
/** The `href` attribute of a tag's attribute text: double-, single- or un-quoted. */
const HREF = /(^|\s)href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+))/i;

/**
 * `html` with its http(s) links rewritten to `tracking.linkUrl(target)` and the open pixel added
 * before `</body>` (or at the end). Links with another scheme (`mailto:`, `tel:`, relative,
 * `#anchor`, `javascript:`) are left exactly as they are; so is everything else in the markup.
 */
export function addEmailTracking(html: string, tracking: HtmlTracking): string {
  const linked = html.replace(LINK_TAG, (tag: string, name: string, attrs: string) => {
    const href = HREF.exec(attrs);
    if (!href) return tag;
    const target = decodeEntities(href[2] ?? href[3] ?? href[4] ?? '').trim();
    if (!isHttpLink(target)) return tag;
    const rewritten = attrs.slice(0, href.index) + `${href[1]}href="${escapeAttribute(tracking.linkUrl(target))}"` + attrs.slice(href.index + href[0].length);
    return `<${name}${rewritten}>`;
  });
  const pixel = `<img src="${escapeAttribute(tracking.pixelUrl)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />`;
  const end = linked.search(/<\/body\s*>(?![\s\S]*<\/body\s*>)/i);
  return end === -1 ? linked + pixel : linked.slice(0, end) + pixel + linked.slice(end);
}

/** True for an absolute http:// or https:// URL that parses. */
function isHttpLink(value: string): boolean {
  if (!/^https?:\/\//i.test(value)) return false;
  try {
    new URL(value);
    return true;
  } catch {
    return false;
  }
}

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** An attribute value as the browser reads it: character references decoded (the ones URLs use). */
function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (ref: string, code: string) => {
    if (code[0] !== '#') return NAMED[code.toLowerCase()] ?? ref;
    const n = code[1] === 'x' || code[1] === 'X' ? parseInt(code.slice(2), 16) : parseInt(code.slice(1), 10);
    return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : ref;
  });
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
