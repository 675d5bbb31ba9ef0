/**
 * Click tracking of an email's plain-text part: every http(s) URL in the text is replaced by its
 * tracked URL (the gateway's tracking route, which records the click and redirects), the rest of
 * the text left byte for byte as it was, so line breaks, indentation and punctuation around a link
 * survive. Pure text processing; the tracked URLs come from the caller, who signs them.
 */

/**
 * A candidate URL: `http://` or `https://` and everything up to whitespace, a quote, `<` or `>`
 * (the delimiters RFC 3986 Appendix C suggests around URLs in plain text, as in `<https://…>`).
 */
const URL_IN_TEXT = /\bhttps?:\/\/[^\s<>"'`]+/gi;

/** Characters that end a sentence or a clause rather than a URL when they close one. */
const TRAILING_PUNCTUATION = /[.,;:!?*_~]+$/;

/**
 * `text` with each http(s) URL replaced by `linkUrl(url)`. A URL ends at whitespace, a quote or
 * an angle bracket; punctuation that ends it (`.`, `,`, `;`, `:`, `!`, `?`) and a closing `)` or
 * `]` without its opening one inside the URL are left outside, so "see https://x.example/a." and
 * "(https://x.example/a)" track `https://x.example/a`. A URL that does not parse stays as it is;
 * so does every other character of the text.
 */
export function addTextLinkTracking(text: string, linkUrl: (target: string) => string): string {
  return text.replace(URL_IN_TEXT, (found: string) => {
    const url = trimUrl(found);
    if (!parses(url)) return found;
    return linkUrl(url) + found.slice(url.length);
  });
}

/** A found URL without the punctuation or unbalanced closing brackets that follow it in prose. */
function trimUrl(found: string): string {
  let url = found;
  for (;;) {
    const before = url;
    url = url.replace(TRAILING_PUNCTUATION, '');
    const last = url[url.length - 1];
    if ((last === ')' && count(url, '(') < count(url, ')')) || (last === ']' && count(url, '[') < count(url, ']'))) url = url.slice(0, -1);
    if (url === before) return url;
  }
}

function count(value: string, char: string): number {
  let n = 0;
  for (const c of value) if (c === char) n++;
  return n;
}

/** True for an http(s) URL with a host that the URL parser accepts. */
function parses(value: string): boolean {
  try {
    return new URL(value).host !== '';
  } catch {
    return false;
  }
}
