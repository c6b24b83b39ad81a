/** Pure helpers over IP addresses, on top of ipaddr.js. */
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
  const parsed = ipaddr.parse(address);
  const bytes = parsed.toByteArray();
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    const byteIndex = Math.floor(bit / 8);
    bytes[byteIndex] = (bytes[byteIndex] ?? 0) & ~(0x80 >> bit % 8);
  }
  return { address: ipaddr.fromByteArray(bytes).toString(), prefix };
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

export function isLinkLocal(address: string): boolean {
  const parsed = ipaddr.parse(address);
  return parsed.range() === 'linkLocal';
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
