/**
 * Which addresses a webhook may be sent to: public unicast only.
 *
 * The classification is ipaddr.js's, not ours. Node's `net.BlockList` is built in but knows no
 * ranges: we would list every IANA special-purpose block ourselves and keep that list current,
 * and still unwrap the IPv6 forms that carry an IPv4 address by hand. ipaddr.js (already in the
 * tree under Fastify's proxy-addr, no install scripts) is kept current with the IANA registries
 * (it lists 3fff::/20, documentation since RFC 9637, which our hand-written table missed), names
 * each range, reads zone ids (fe80::1%eth0) and unwraps IPv4-mapped addresses. What stays here is policy: which of its ranges we allow, and
 * the embedded IPv4 of 6to4 and IPv4-compatible addresses, checked like the address itself.
 * Textual validity is Node's `isIP` (dotted quad only): ipaddr.js would also read "1.2.3",
 * "0x7f.1" and "01.2.3.4", which a resolver answer never is and a URL parser has normalised.
 */
import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

export type TargetCheck = { ok: true } | { ok: false; reason: string };

export interface CheckTargetOptions {
  lookup?: (host: string) => Promise<string[]>;
}

/**
 * ipaddr.js ranges that are globally reachable (IANA "Globally Reachable: True"): AS112 and
 * AMT relays are anycast services on the public internet. Everything else it names (private,
 * loopback, link-local, CGNAT, multicast, broadcast, unspecified, reserved and documentation,
 * benchmarking, unique-local, NAT64's local-use prefix, Teredo, ORCHID) is refused.
 */
const PUBLIC_IPV4: ReadonlySet<string> = new Set<ReturnType<ipaddr.IPv4['range']>>(['unicast', 'as112', 'amt']);
const PUBLIC_IPV6: ReadonlySet<string> = new Set<ReturnType<ipaddr.IPv6['range']>>(['unicast', 'as112v6', 'amt']);

function ipv4At(parts: number[], at: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([parts[at] >> 8, parts[at] & 0xff, parts[at + 1] >> 8, parts[at + 1] & 0xff]);
}

function isPublicIPv4(address: ipaddr.IPv4): boolean {
  return PUBLIC_IPV4.has(address.range());
}

function isPublicIPv6(address: ipaddr.IPv6): boolean {
  const range = address.range();
  if (range === 'ipv4Mapped') return isPublicIPv4(address.toIPv4Address());
  // 6to4 routes to the IPv4 address in bits 16-47.
  if (range === '6to4') return isPublicIPv4(ipv4At(address.parts, 1));
  // NAT64's well-known prefix 64:ff9b::/96 (what DNS64 answers on IPv6-only hosts) reaches the
  // IPv4 address in its last 32 bits; the local-use 64:ff9b:1::/48 is a network's own, refused.
  if (range === 'rfc6052') {
    const p = address.parts;
    return p[0] === 0x64 && p[1] === 0xff9b && p.slice(2, 6).every((x) => x === 0) && isPublicIPv4(ipv4At(p, 6));
  }
  if (!PUBLIC_IPV6.has(range)) return false;
  const p = address.parts;
  // The deprecated IPv4-compatible ::a.b.c.d (ipaddr.js calls it unicast) reaches that IPv4 address.
  if (p.slice(0, 6).every((x) => x === 0)) return isPublicIPv4(ipv4At(p, 6));
  // Only 2000::/3 is allocated global unicast; ipaddr.js calls the unassigned rest unicast too.
  return (p[0] & 0xe000) === 0x2000;
}

export function isPublicAddress(ip: string): boolean {
  if (isIP(ip) === 0 || !ipaddr.isValid(ip)) return false;
  const address = ipaddr.parse(ip);
  return address instanceof ipaddr.IPv4 ? isPublicIPv4(address) : isPublicIPv6(address);
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function isLocalhostName(host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host;
  return name === 'localhost' || name.endsWith('.localhost');
}

async function systemLookup(host: string): Promise<string[]> {
  const results = await dns.promises.lookup(host, { all: true, verbatim: true });
  return results.map((result) => result.address);
}

export async function checkTargetUrl(url: string, options: CheckTargetOptions = {}): Promise<TargetCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'url is not a valid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: 'url must use http or https' };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: 'url must not contain credentials (user:password@)' };
  }
  const host = stripBrackets(parsed.hostname);
  if (host === '') return { ok: false, reason: 'url has no host' };
  if (isLocalhostName(host)) return { ok: false, reason: 'url host is localhost' };
  if (isIP(host) !== 0) {
    return isPublicAddress(host) ? { ok: true } : { ok: false, reason: `url host is a non-public address (${host})` };
  }
  let addresses: string[];
  try {
    addresses = await (options.lookup ?? systemLookup)(host);
  } catch {
    return { ok: false, reason: 'url host could not be resolved' };
  }
  if (addresses.length === 0) return { ok: false, reason: 'url host could not be resolved' };
  const blocked = addresses.find((address) => !isPublicAddress(address));
  return blocked === undefined ? { ok: true } : { ok: false, reason: `url resolves to a non-public address (${blocked})` };
}

export class BlockedAddressError extends Error {
  readonly code = 'EBLOCKED';
  constructor() {
    super('blocked address');
    this.name = 'BlockedAddressError';
  }
}

type LookupCallback = Parameters<LookupFunction>[2];
type Resolver = (hostname: string, options: LookupOptions, callback: LookupCallback) => void;

/**
 * A `net` lookup that refuses non-public answers. Checking at connect time, on the very addresses
 * the socket will use, is what defeats DNS rebinding between validation and delivery.
 */
export function createSafeLookup(resolve: Resolver = dns.lookup as Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options, (error, address, family) => {
      if (error) {
        callback(error, address, family);
        return;
      }
      const addresses: string[] = Array.isArray(address)
        ? address.map((entry: LookupAddress) => entry.address)
        : [address];
      if (addresses.length === 0 || addresses.some((ip) => !isPublicAddress(ip))) {
        callback(new BlockedAddressError(), options.all ? [] : '', family);
        return;
      }
      callback(null, address, family);
    });
  };
}

export const safeLookup: LookupFunction = createSafeLookup();
