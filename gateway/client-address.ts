import { BlockList, isIP, SocketAddress } from 'node:net';

/**
 * The client address a request counts against (the failed-authentication throttle), from the TCP
 * peer and `X-Forwarded-For`. Behind a load balancer every client shares the balancer's address,
 * so the header must be read; but anyone can write the header, so it is read only when the peer
 * is a proxy we run (`TRUSTED_PROXIES`), and only as far as the hops our proxies appended.
 */

/** The `TRUSTED_PROXIES` entries (IPv4 or IPv6 addresses and CIDR ranges) as one look-up set. */
export function trustedProxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parseProxyEntry(entry);
    if (!parsed) throw new RangeError(`trustedProxyList: not an IP address or CIDR range (entry=${JSON.stringify(entry)})`);
    list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return list;
}

/**
 * One `TRUSTED_PROXIES` entry: `10.0.0.7`, `10.0.0.0/8`, `fd00::1`, `fd00::/8`. A bare address is
 * a range of one. Null when it is neither (config reports it).
 */
export function parseProxyEntry(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const [address, prefixText, extra] = entry.trim().split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return null;
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return null;
  return { address, prefix: Number(prefixText), family };
}

/**
 * The client's address: the socket peer, unless the peer is a trusted proxy; then the right-most
 * `X-Forwarded-For` entry that is not itself a trusted proxy (each proxy appends the address it
 * was called from, so entries right of that one were written by our proxies, and those left of
 * it by the client, who may have forged them). When every entry is a trusted proxy, the
 * left-most. An entry that is not an address stops the walk at the last trusted hop, so a
 * throttle key can never be chosen by the client. Addresses come back canonical (IPv4-mapped
 * IPv6 as IPv4, IPv6 compressed and lower-case), so one client has one key however written.
 * `forwardedFor` is the header as node:http gives it (repeated headers joined with commas).
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: BlockList): string {
  const socket = peer === undefined ? null : canonicalAddress(peer);
  if (socket === null) return peer ?? 'unknown';
  if (!isTrusted(socket, trusted) || forwardedFor === undefined) return socket;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((hop) => hop.trim())
    .filter((hop) => hop !== '');
  let nearest = socket;
  for (let i = hops.length - 1; i >= 0; i -= 1) {
    const hop = canonicalAddress(stripPort(hops[i]));
    if (hop === null) return nearest;
    if (!isTrusted(hop, trusted)) return hop;
    nearest = hop;
  }
  return nearest;
}

/** The client address of a node:http request (or a graphql-ws upgrade request). */
export function requestClientAddress(
  req: { socket?: { remoteAddress?: string }; headers?: Record<string, string | string[] | undefined> } | undefined,
  trusted: BlockList,
): string {
  return clientAddress(req?.socket?.remoteAddress, req?.headers?.['x-forwarded-for'], trusted);
}

function isTrusted(address: string, trusted: BlockList): boolean {
  return trusted.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
}

/** Canonical text of an IP address, or null when it is not one. */
function canonicalAddress(text: string): string | null {
  const version = isIP(text);
  if (version === 0) return null;
  if (version === 4) return text;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(text);
  if (mapped && isIP(mapped[1]) === 4) return mapped[1];
  return new SocketAddress({ address: text, family: 'ipv6' }).address;
}

/** Some proxies append the port: `203.0.113.7:51234`, `[2001:db8::1]:443`. */
function stripPort(hop: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(hop);
  if (bracketed) return bracketed[1];
  const v4WithPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(hop);
  return v4WithPort ? v4WithPort[1] : hop;
}
