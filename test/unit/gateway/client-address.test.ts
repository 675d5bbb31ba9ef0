import { clientAddress, parseProxyEntry, requestClientAddress, trustedProxyList } from '../../../gateway/client-address';
import { loadConfig } from '../../../subgraphs/common/config';

const NONE = trustedProxyList([]);
const LB = trustedProxyList(['10.0.0.0/8', '192.168.1.5', 'fd00::/8', '2001:db8::10']);

describe('clientAddress', () => {
  it.each<[string, string | undefined, string | string[] | undefined, string]>([
    // [case, socket peer, X-Forwarded-For, client]
    ['takes the socket address when nothing is trusted', '203.0.113.7', undefined, '203.0.113.7'],
    ['ignores a spoofed header from an untrusted peer (trust none)', '203.0.113.7', '198.51.100.1', '203.0.113.7'],
    ['ignores a spoofed header from an untrusted peer (a proxy list is set)', '203.0.113.7', '10.0.0.9, 198.51.100.1', '203.0.113.7'],
    ['takes the forwarded address from a trusted IPv4 peer in a CIDR range', '10.1.2.3', '198.51.100.1', '198.51.100.1'],
    ['takes the forwarded address from a trusted single IPv4 peer', '192.168.1.5', '198.51.100.1', '198.51.100.1'],
    ['does not trust the neighbour of a single trusted address', '192.168.1.6', '198.51.100.1', '192.168.1.6'],
    ['takes the right-most untrusted entry, not a forged left one', '10.1.2.3', '6.6.6.6, 198.51.100.1', '198.51.100.1'],
    ['walks a chain of trusted proxies', '10.0.0.1', '198.51.100.1, 192.168.1.5, 10.9.9.9', '198.51.100.1'],
    ['stops at the first untrusted hop of a chain', '10.0.0.1', '1.1.1.1, 198.51.100.1, 10.9.9.9', '198.51.100.1'],
    ['reads repeated headers in order', '10.0.0.1', ['6.6.6.6, 198.51.100.1', '10.2.2.2'], '198.51.100.1'],
    ['takes the left-most entry when every hop is trusted', '10.0.0.1', '10.5.5.5, 10.6.6.6', '10.5.5.5'],
    ['keeps the trusted peer when the header is absent', '10.0.0.1', undefined, '10.0.0.1'],
    ['keeps the trusted peer when the header is empty', '10.0.0.1', ' , ', '10.0.0.1'],
    ['stops at the last trusted hop on an entry that is not an address', '10.0.0.1', 'evil, not-an-ip, 10.3.3.3', '10.3.3.3'],
    ['strips a port some proxies append (IPv4)', '10.0.0.1', '198.51.100.1:51234', '198.51.100.1'],
    ['strips a port some proxies append (bracketed IPv6)', '10.0.0.1', '[2001:db8::1]:443', '2001:db8::1'],
    ['takes the forwarded address from a trusted IPv6 peer in a range', 'fd12::1', '2001:db8::1', '2001:db8::1'],
    ['trusts a single IPv6 address written another way', '2001:db8:0:0::10', '2001:db8::1', '2001:db8::1'],
    ['ignores the header from an untrusted IPv6 peer', '2001:db8::99', '198.51.100.1', '2001:db8::99'],
    ['forwards an IPv4 client through an IPv6 proxy', 'fd00::2', '198.51.100.1', '198.51.100.1'],
    ['forwards an IPv6 client through an IPv4 proxy', '10.0.0.1', '2001:DB8:0::1', '2001:db8::1'],
    ['matches an IPv4-mapped IPv6 peer against IPv4 ranges', '::ffff:10.0.0.1', '198.51.100.1', '198.51.100.1'],
    ['names an IPv4-mapped IPv6 peer by its IPv4 address', '::ffff:203.0.113.7', '198.51.100.1', '203.0.113.7'],
    ['names a mapped forwarded entry by its IPv4 address', '10.0.0.1', '::ffff:198.51.100.1', '198.51.100.1'],
    ['is "unknown" without a peer', undefined, '198.51.100.1', 'unknown'],
  ])('%s', (_case, peer, forwardedFor, expected) => {
    expect(clientAddress(peer, forwardedFor, LB)).toBe(expected);
  });

  it('ignores the header altogether with the default (no trusted proxies)', () => {
    for (const peer of ['127.0.0.1', '10.0.0.1', '::1']) expect(clientAddress(peer, '198.51.100.1', NONE)).toBe(peer);
  });

  it('gives a forged header no way to vary the key of an untrusted peer', () => {
    const forged = Array.from({ length: 50 }, (_v, i) => `198.51.100.${i}, 10.0.0.${i}`);
    expect(new Set(forged.map((header) => clientAddress('203.0.113.7', header, LB)))).toEqual(new Set(['203.0.113.7']));
  });
});

describe('requestClientAddress', () => {
  it('reads the socket peer and the x-forwarded-for header of a node:http request', () => {
    const req = { socket: { remoteAddress: '10.0.0.1' }, headers: { 'x-forwarded-for': '198.51.100.1' } };
    expect(requestClientAddress(req, LB)).toBe('198.51.100.1');
    expect(requestClientAddress(req, NONE)).toBe('10.0.0.1');
  });
});

describe('parseProxyEntry', () => {
  it.each([
    ['10.0.0.7', { address: '10.0.0.7', prefix: 32, family: 'ipv4' }],
    ['10.0.0.0/8', { address: '10.0.0.0', prefix: 8, family: 'ipv4' }],
    ['fd00::/8', { address: 'fd00::', prefix: 8, family: 'ipv6' }],
    ['::1', { address: '::1', prefix: 128, family: 'ipv6' }],
  ])('reads %s', (entry, expected) => {
    expect(parseProxyEntry(entry)).toEqual(expected);
  });

  it.each(['', 'proxy.internal', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', '10.0.0.0/x', '10.0.0.256'])('refuses %j', (entry) => {
    expect(parseProxyEntry(entry)).toBeNull();
    expect(() => trustedProxyList([entry])).toThrow(RangeError);
  });
});

describe('loadConfig: TRUSTED_PROXIES', () => {
  const base = { DATA_DIR: '/tmp/foresight-config-test', FORESIGHT_SECRET: 'x'.repeat(40) };

  it('trusts no proxy by default', () => {
    expect(loadConfig(base).trustedProxies).toEqual([]);
  });

  it('reads a comma-separated list of addresses and ranges', () => {
    expect(loadConfig({ ...base, TRUSTED_PROXIES: ' 10.0.0.0/8, fd00::/8 ,192.168.1.5' }).trustedProxies).toEqual(['10.0.0.0/8', 'fd00::/8', '192.168.1.5']);
  });

  it('refuses an entry that is not an address or range, naming it', () => {
    expect(() => loadConfig({ ...base, TRUSTED_PROXIES: '10.0.0.0/8,lb.internal,10.0.0.0/40' })).toThrow(
      /TRUSTED_PROXIES: not an IP address or CIDR range: lb\.internal, 10\.0\.0\.0\/40/,
    );
  });
});
