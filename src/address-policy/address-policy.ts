import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { isIP } from 'node:net';
import type { LookupFunction } from 'node:net';

export type TargetCheck = { ok: true } | { ok: false; reason: string };

export interface CheckTargetOptions {
  lookup?: (host: string) => Promise<string[]>;
}

type Cidr4 = readonly [base: number, prefix: number];

function cidr4(dotted: string, prefix: number): Cidr4 {
  const value = parseIPv4(dotted);
  if (value === null) throw new Error(`bad CIDR base ${dotted}`);
  return [value, prefix];
}

const NON_PUBLIC_IPV4: readonly Cidr4[] = [
  cidr4('0.0.0.0', 8),
  cidr4('10.0.0.0', 8),
  cidr4('100.64.0.0', 10),
  cidr4('127.0.0.0', 8),
  cidr4('169.254.0.0', 16),
  cidr4('172.16.0.0', 12),
  cidr4('192.0.0.0', 24),
  cidr4('192.0.2.0', 24),
  cidr4('192.168.0.0', 16),
  cidr4('198.18.0.0', 15),
  cidr4('198.51.100.0', 24),
  cidr4('203.0.113.0', 24),
  cidr4('224.0.0.0', 4),
  // 240.0.0.0/4 also covers the limited broadcast address 255.255.255.255.
  cidr4('240.0.0.0', 4),
];

function parseIPv4(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return null;
    const octet = Number(part);
    if (octet > 255) return null;
    value = value * 256 + octet;
  }
  return value;
}

function inCidr4(value: number, [base, prefix]: Cidr4): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(value / size) === Math.floor(base / size);
}

function isPublicIPv4Value(value: number): boolean {
  return !NON_PUBLIC_IPV4.some((range) => inCidr4(value, range));
}

/** Eight 16-bit groups, or null when `ip` is not an IPv6 address. */
function parseIPv6(ip: string): number[] | null {
  const zone = ip.indexOf('%');
  let text = zone === -1 ? ip : ip.slice(0, zone);
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (lastColon !== -1 && text.includes('.', lastColon)) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === null) return null;
    tail.push(Math.floor(v4 / 0x10000), v4 % 0x10000);
    text = text.slice(0, lastColon + 1);
    // Keep "::" intact when the IPv4 part follows it directly ("::1.2.3.4").
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (part: string): number[] | null => {
    if (part === '') return [];
    const groups = part.split(':');
    if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return null;
    return groups.map((g) => parseInt(g, 16));
  };
  const head = parseGroups(halves[0]);
  const rest = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (head === null || rest === null) return null;
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 2) {
    if (explicit > 7) return null;
    return [...head, ...new Array<number>(8 - explicit).fill(0), ...rest, ...tail];
  }
  return explicit === 8 ? [...head, ...tail] : null;
}

function embeddedIPv4(groups: number[], at: number): number {
  return groups[at] * 0x10000 + groups[at + 1];
}

function isPublicIPv6Groups(g: number[]): boolean {
  const firstSixZero = g.slice(0, 6).every((x) => x === 0);
  if (firstSixZero) {
    // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d.
    if (g[6] === 0 && g[7] <= 1) return false;
    return isPublicIPv4Value(embeddedIPv4(g, 6));
  }
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return isPublicIPv4Value(embeddedIPv4(g, 6));
  }
  // 6to4 routes to the IPv4 address in bits 16-47.
  if (g[0] === 0x2002) return isPublicIPv4Value(embeddedIPv4(g, 1));
  // Only 2000::/3 is allocated global unicast; this refuses ::/8 leftovers, 64:ff9b::/96 (NAT64),
  // 100::/64, fc00::/7, fe80::/10, fec0::/10 and ff00::/8 in one rule.
  if ((g[0] & 0xe000) !== 0x2000) return false;
  if (g[0] === 0x2001) {
    if (g[1] === 0x0db8) return false; // documentation
    if (g[1] === 0x0000) return false; // Teredo tunnels to an obfuscated IPv4 address
    if (g[1] === 0x0002 && g[2] === 0) return false; // benchmarking 2001:2::/48
    if ((g[1] & 0xffe0) === 0x0020 || (g[1] & 0xfff0) === 0x0010) return false; // ORCHID
  }
  return true;
}

export function isPublicAddress(ip: string): boolean {
  const v4 = parseIPv4(ip);
  if (v4 !== null) return isPublicIPv4Value(v4);
  const v6 = parseIPv6(ip);
  return v6 !== null && isPublicIPv6Groups(v6);
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
