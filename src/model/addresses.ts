/**
 * Every address and CIDR question multinic asks, answered on ipaddr.js: the one place that
 * parses, splits, canonicalises and compares addresses and prefixes. Nothing else in src/
 * splits a CIDR string or does subnet arithmetic.
 */
import ipaddr from 'ipaddr.js';
import type { Cidr, Family, Mac } from './types.js';

export function familyOf(address: string): Family | undefined {
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) return 4;
  if (ipaddr.IPv6.isValid(address)) return 6;
  return undefined;
}

/** Canonical text of an address: IPv6 compressed and lower case, IPv4 as is. */
export function canonicalAddress(address: string): string {
  const parsed = ipaddr.parse(address);
  return parsed.toString();
}

/** The network that contains `address`/`prefix`, e.g. 203.0.113.22/24 → 203.0.113.0/24. */
export function subnetOf(address: string, prefix: number): Cidr {
  const text = `${address}/${prefix}`;
  const network =
    familyOf(address) === 4 ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
  return { address: network.toString(), prefix };
}

/**
 * `203.0.113.22/24` → { address, prefix }, the address canonical; a bare address is a host
 * (/32, /128). Text that is not an address or CIDR yields undefined, for the caller to name.
 */
export function parseCidr(text: string): Cidr | undefined {
  const [address = '', prefixText, ...rest] = text.split('/');
  const family = familyOf(address);
  if (!family || rest.length > 0) return undefined;
  if (prefixText === undefined) return { address: canonicalAddress(address), prefix: maxPrefix(family) };
  const prefix = /^\d+$/.test(prefixText) ? Number(prefixText) : NaN;
  return prefix <= maxPrefix(family) ? { address: canonicalAddress(address), prefix } : undefined;
}

/** The address part of `address[/prefix]` as written (a rule's `from`, an ip_address): no prefix, not parsed. */
export function addressPart(text: string): string {
  return text.split('/')[0] ?? '';
}

/** The prefix length written after the `/`, or undefined without one. */
export function prefixPart(text: string): string | undefined {
  return text.split('/')[1];
}

export function cidrText(cidr: Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}

export function maxPrefix(family: Family): number {
  return family === 4 ? 32 : 128;
}

export function contains(subnet: Cidr, address: string): boolean {
  const parsed = ipaddr.parse(address);
  const net = ipaddr.parse(subnet.address);
  if (parsed.kind() !== net.kind()) return false;
  return parsed.match(net, subnet.prefix);
}

/**
 * fe80::/10 and 169.254/16. An IPv6 router advertises itself from its link-local address, so
 * a gateway there is reachable on the link without any subnet route to it.
 */
export function isLinkLocal(address: string): boolean {
  return familyOf(address) !== undefined && ipaddr.parse(address).range() === 'linkLocal';
}

/** A host route (/32, /128) rather than a subnet. */
export function isHostPrefix(cidr: Cidr): boolean {
  return cidr.prefix === maxPrefix(familyOf(cidr.address) ?? 4);
}

/** Lower-case a MAC and check its shape; undefined when it is not one. */
export function normaliseMac(mac: string): Mac | undefined {
  const lower = mac.trim().toLowerCase();
  return /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(lower) ? lower : undefined;
}

/**
 * An address inside `subnet` other than `avoid`, for `ip route get` checks that must
 * stay on-link. Uses the first host address (network + 1), or + 2 when that is `avoid`.
 */
export function anotherHostIn(subnet: Cidr, avoid: string): string {
  const bytes = ipaddr.parse(subnet.address).toByteArray();
  const bump = (by: number): string => {
    const copy = [...bytes];
    let carry = by;
    for (let i = copy.length - 1; i >= 0 && carry > 0; i--) {
      const sum = (copy[i] ?? 0) + carry;
      copy[i] = sum & 0xff;
      carry = sum >> 8;
    }
    return ipaddr.fromByteArray(copy).toString();
  };
  const first = bump(1);
  return first === canonicalAddress(avoid) ? bump(2) : first;
}
