import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import * as zlib from 'node:zlib';

/**
 * Why a body could not be read: `too-large` past the limit, `unreadable` for an unsupported
 * charset or content encoding or corrupt compressed data, `aborted` when the client went away
 * (there is no one left to answer).
 */
export class BodyError extends Error {
  constructor(
    readonly reason: 'too-large' | 'unreadable' | 'aborted',
    message: string,
  ) {
    super(message);
  }
}

/** Stateless without `{ stream: true }`, so one instance serves every request. */
const UTF8 = new TextDecoder();

/** The content encodings body-parser undoes; zstd only where Node has it (22.15 and later). */
const DECOMPRESSORS = new Map<string, () => Transform>([
  ['gzip', zlib.createGunzip],
  ['deflate', zlib.createInflate],
  ['br', zlib.createBrotliDecompress],
]);
const { createZstdDecompress } = zlib as { createZstdDecompress?: () => Transform };
if (createZstdDecompress) DECOMPRESSORS.set('zstd', createZstdDecompress);

/**
 * The request body as text, whatever its content type, the way `express.text` (body-parser) read
 * it before: a `gzip`, `deflate` or `br` content encoding is undone, the charset the content type
 * names is honoured (UTF-8 by default) and a byte order mark is dropped. `limit` counts decoded
 * bytes. Past it the promise rejects at once and the rest of the body is drained unread, never
 * buffered, so the answer goes out early and a keep-alive connection stays usable. An identity
 * body whose Content-Length is already over the limit is refused before a byte is read.
 */
export function readTextBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    let decoder: TextDecoder;
    let inflater: Transform | null;
    try {
      decoder = textDecoderFor(req.headers['content-type']);
      if (encoding === 'identity' && Number(req.headers['content-length']) > limit) {
        throw new BodyError('too-large', `the body is over the limit of ${limit} bytes`);
      }
      inflater = inflaterFor(encoding);
    } catch (err) {
      req.resume();
      return reject(err);
    }
    const source: Readable = inflater ? req.pipe(inflater) : req;

    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (err: BodyError | null) => {
      if (settled) return;
      settled = true;
      source.off('data', onData);
      if (inflater) {
        req.unpipe(inflater);
        inflater.destroy();
      }
      // discard whatever is still coming (past the limit, or after the end of a compressed
      // stream) unread: node:http then goes on to the next request of the connection
      req.resume();
      if (err) reject(err);
      else resolve(decoder.decode(Buffer.concat(chunks, size)));
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) return settle(new BodyError('too-large', `the body is over the limit of ${limit} bytes`));
      chunks.push(chunk);
    };
    // a request that closes before it is complete was aborted by the client
    const onAbort = () => {
      if (!req.complete) settle(new BodyError('aborted', 'the client aborted the request'));
    };

    source.on('data', onData);
    source.once('end', () => settle(null));
    // corrupt compressed data (body-parser's message); listening also keeps a late error of the
    // destroyed stream quiet
    inflater?.on('error', () => settle(new BodyError('unreadable', 'Bad Request')));
    req.on('error', onAbort);
    req.once('close', onAbort);
  });
}

/** The decoder for the charset a content type names; body-parser's message for an unknown one. */
function textDecoderFor(contentType: string | undefined): TextDecoder {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1].toLowerCase();
  if (!charset || charset === 'utf-8' || charset === 'utf8') return UTF8;
  try {
    return new TextDecoder(charset);
  } catch {
    throw new BodyError('unreadable', `unsupported charset "${charset.toUpperCase()}"`);
  }
}

/** The stream that undoes a content encoding (null for none); body-parser's message for an unknown one. */
function inflaterFor(encoding: string): Transform | null {
  if (encoding === 'identity') return null;
  const inflate = DECOMPRESSORS.get(encoding);
  if (!inflate) throw new BodyError('unreadable', `unsupported content encoding "${encoding}"`);
  return inflate();
}
