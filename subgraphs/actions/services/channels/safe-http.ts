import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';

/** Where an outbound request may go, and how long it may take. */
export interface OutboundPolicy {
  /** Hosts (names or IPs, lower-case) allowed although they resolve to a refused address. */
  allowedHosts: readonly string[];
  timeoutMs: number;
}

/** The request was refused before it left: its host resolves to an address the platform guards. */
export class BlockedHostError extends Error {
  constructor(host: string, address: string) {
    super(`refused to call ${host}: it resolves to ${address}, a loopback, private, link-local or platform address (add the host to the channel's allowedHosts to allow it)`);
    this.name = 'BlockedHostError';
  }
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** At most the first 64 KiB of the body. */
  body: string;
}

const MAX_BODY = 64 * 1024;

/** Ranges no tenant reaches without an allow-list: the platform's own network and the cloud metadata endpoints. */
const REFUSED = (() => {
  const list = new BlockList();
  for (const [net, bits] of [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const)
    list.addSubnet(net, bits, 'ipv4');
  for (const [net, bits] of [
    ['::', 128],
    ['::1', 128],
    ['fc00::', 7],
    ['fe80::', 10],
    ['ff00::', 8],
  ] as const)
    list.addSubnet(net, bits, 'ipv6');
  return list;
})();

/** True when `address` is loopback, private, link-local, reserved, or one of this machine's own. */
export function isRefusedAddress(address: string): boolean {
  // an IPv4 address written as IPv6 (::ffff:127.0.0.1) is checked as IPv4
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ip = mapped ? mapped[1] : address;
  const family = isIP(ip);
  if (family === 0) return true;
  if (REFUSED.check(ip, family === 4 ? 'ipv4' : 'ipv6')) return true;
  return ownAddresses().has(ip.toLowerCase());
}

function ownAddresses(): Set<string> {
  const own = new Set<string>();
  for (const infos of Object.values(networkInterfaces())) for (const info of infos ?? []) own.add(info.address.toLowerCase());
  return own;
}

/**
 * Resolves `url`'s host once and checks every address it resolves to; the request then connects
 * to that address (pinned), so a DNS answer that changes between check and connect (rebinding)
 * cannot reach a refused address.
 */
export async function resolveAllowed(url: URL, policy: Pick<OutboundPolicy, 'allowedHosts'>): Promise<{ address: string; family: number }> {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true, verbatim: true });
  if (addresses.length === 0) throw new Error(`${host} does not resolve`);
  if (!policy.allowedHosts.includes(host)) {
    const refused = addresses.find((a) => isRefusedAddress(a.address));
    if (refused) throw new BlockedHostError(host, refused.address);
  }
  return addresses[0];
}

/**
 * Sends one HTTP request under `policy`: the host checked against SSRF, the connection pinned to
 * the checked address, an overall timeout. Redirects are not followed (a 3xx is the answer).
 * Throws on refusal, network error or timeout.
 */
export async function sendSafely(
  url: string,
  init: { method?: string; headers: Record<string, string>; body: string },
  policy: OutboundPolicy,
  signal?: AbortSignal,
): Promise<HttpAnswer> {
  const target = new URL(url);
  const pinned = await resolveAllowed(target, policy);
  const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) (callback as unknown as (err: null, addresses: { address: string; family: number }[]) => void)(null, [pinned]);
    else callback(null, pinned.address, pinned.family);
  };
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(
      target,
      { method: init.method ?? 'POST', headers: { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) }, lookup: pinnedLookup, signal: combined },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_BODY) chunks.push(chunk);
          size += chunk.length;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8').slice(0, MAX_BODY) }));
        res.on('error', reject);
      },
    );
    req.on('error', (err) => reject(combined.aborted && timeout.aborted ? new Error(`timed out after ${policy.timeoutMs} ms`) : err));
    req.end(init.body);
  });
}
