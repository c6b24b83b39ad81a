/**
 * Turns a network_data.json document into domain types (src/model/types.ts): MACs lower
 * case, addresses canonical, netmasks as prefix lengths, default routes split from host
 * routes. Everything wrong is refused with the JSON path of what is wrong.
 */
import ipaddr from 'ipaddr.js';
import * as z from './zod.js';
import { InvalidNetworkData } from '../errors.js';
import { canonicalAddress, familyOf, normaliseMac, subnetOf } from '../model/addresses.js';
import type { AddressSource, Family, Link, Network, NetworkData, Note, Route } from '../model/types.js';
import { wireNetworkData, type WireLink, type WireNetwork, type WireRoute } from './network-data.js';

/** Link types Nova (nova/network/model.py VIF_TYPE_*) and Ironic emit for a plain port. */
export const PHYSICAL_LINK_TYPES = new Set([
  'phy', 'bridge', 'ethernet', 'ovs', 'tap', 'vif', 'vhostuser', 'hw_veb', 'hostdev_physical',
  'hyperv', 'vrouter', 'dvs', 'ib_hostdev', 'midonet', 'iovisor', 'macvtap', 'agilio_ovs',
  'binding_failed', 'unbound', 'other', '802.1qbg', '802.1qbh', 'distributed', 'vdpa',
]);

/** Network types Nova writes, and where the address of each comes from. */
const NETWORK_TYPES: Record<string, { family: Family; source: AddressSource }> = {
  ipv4: { family: 4, source: 'static' },
  ipv6: { family: 6, source: 'static' },
  ipv4_dhcp: { family: 4, source: 'dhcp' },
  ipv6_dhcp: { family: 6, source: 'dhcpv6-stateful' },
  ipv6_slaac: { family: 6, source: 'slaac' },
  'ipv6_dhcpv6-stateful': { family: 6, source: 'dhcpv6-stateful' },
  'ipv6_dhcpv6-stateless': { family: 6, source: 'dhcpv6-stateless' },
};

export interface ParsedNetworkData {
  data: NetworkData;
  notes: Note[];
}

type Path = (string | number)[];

function pathText(path: Path): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`)).join('').replace(/^\./, '');
}

function fail(path: Path, message: string): never {
  throw new InvalidNetworkData(`network_data.json: ${pathText(path)}: ${message}`);
}

/** Parse JSON text; the source (file, URL) is named in the error. */
export function parseNetworkDataText(text: string, source: string): ParsedNetworkData {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidNetworkData(`${source}: not valid JSON (${(error as Error).message})`, { cause: error });
  }
  return parseNetworkData(json);
}

export function parseNetworkData(json: unknown): ParsedNetworkData {
  const result = wireNetworkData.safeParse(json);
  if (!result.success) {
    throw new InvalidNetworkData(`network_data.json is not valid:\n${z.prettifyError(result.error)}`, {
      cause: result.error,
    });
  }
  const wire = result.data;
  const notes: Note[] = [];
  const links = wire.links.map((link, index) => toLink(link, ['links', index], notes));
  const linkIds = new Set<string>();
  links.forEach((link, index) => {
    if (linkIds.has(link.id)) fail(['links', index, 'id'], `duplicate link id "${link.id}"`);
    linkIds.add(link.id);
  });
  links.forEach((link, index) => {
    if (link.vlan && !linkIds.has(link.vlan.parentId)) {
      fail(['links', index, 'vlan_link'], `names link "${link.vlan.parentId}", which is not in links`);
    }
  });
  const networks = wire.networks.flatMap((network, index) => {
    if (!linkIds.has(network.link)) fail(['networks', index, 'link'], `names link "${network.link}", which is not in links`);
    return toNetwork(network, ['networks', index], notes);
  });
  const dns = dnsOf(wire.services ?? []);
  return { data: { links, networks, dns }, notes };
}

function toLink(wire: WireLink, path: Path, notes: Note[]): Link {
  const mac = wire.ethernet_mac_address ? normaliseMac(wire.ethernet_mac_address) : undefined;
  if (wire.ethernet_mac_address && !mac) {
    fail([...path, 'ethernet_mac_address'], `"${wire.ethernet_mac_address}" is not a MAC address`);
  }
  const base = { id: wire.id, type: wire.type ?? 'none', ...(wire.mtu ? { mtu: wire.mtu } : {}), ...(wire.name ? { name: wire.name } : {}) };
  if (wire.type === 'vlan') {
    if (!wire.vlan_link) fail([...path, 'vlan_link'], 'a vlan link needs the link it sits on');
    const vlanId = Number(wire.vlan_id);
    if (!Number.isInteger(vlanId) || vlanId < 0 || vlanId > 4095) {
      fail([...path, 'vlan_id'], `"${String(wire.vlan_id)}" is not a VLAN id (0-4095)`);
    }
    const vlanMacText = wire.vlan_mac_address ?? wire.ethernet_mac_address;
    const vlanMac = vlanMacText ? normaliseMac(vlanMacText) : undefined;
    if (vlanMacText && !vlanMac) fail([...path, 'vlan_mac_address'], `"${vlanMacText}" is not a MAC address`);
    return { ...base, kind: 'vlan', ...(vlanMac ? { mac: vlanMac } : {}), vlan: { parentId: wire.vlan_link, vlanId } };
  }
  const members = wire.bond_links ?? [];
  if (wire.type === 'bond' || members.length > 0) {
    if (members.length === 0) fail([...path, 'bond_links'], 'a bond link needs its member links');
    return {
      ...base,
      kind: 'bond',
      ...(mac ? { mac } : {}),
      bond: { memberIds: members, ...(wire.bond_mode ? { mode: wire.bond_mode } : {}) },
    };
  }
  if (!mac && !wire.name) fail([...path, 'ethernet_mac_address'], `link "${wire.id}" of type "${wire.type ?? 'none'}" has neither a MAC address nor a name`);
  if (!wire.type) {
    notes.push({ level: 'warn', message: `link ${wire.id} (${mac ?? wire.name}): no type given, treated as a physical link` });
  } else if (!PHYSICAL_LINK_TYPES.has(wire.type)) {
    notes.push({ level: 'warn', message: `link ${wire.id} (${mac ?? wire.name}): unknown type "${wire.type}", treated as a physical link` });
  }
  return { ...base, kind: 'physical', ...(mac ? { mac } : {}) };
}

function toNetwork(wire: WireNetwork, path: Path, notes: Note[]): Network[] {
  const type = NETWORK_TYPES[wire.type];
  if (!type) {
    notes.push({ level: 'warn', message: `network ${wire.id} on link ${wire.link}: unknown type "${wire.type}", left alone` });
    return [];
  }
  const routes: Route[] = [];
  let gateway: string | undefined;
  (wire.routes ?? []).forEach((route, index) => {
    const parsed = toRoute(route, [...path, 'routes', index], type.family);
    if (parsed.destination.prefix === 0) {
      gateway ??= parsed.gateway;
    } else {
      routes.push(parsed);
    }
  });
  if (!gateway && wire.gateway) {
    if (familyOf(wire.gateway) !== type.family) fail([...path, 'gateway'], `"${wire.gateway}" is not an IPv${type.family} address`);
    gateway = canonicalAddress(wire.gateway);
  }
  const network: Network = {
    id: wire.id,
    linkId: wire.link,
    family: type.family,
    source: type.source,
    routes,
    dns: dnsOf(wire.services ?? []),
    ...(gateway ? { gateway } : {}),
    ...(wire.network_id ? { networkId: wire.network_id } : {}),
  };
  if (type.source === 'static') {
    network.address = toInterfaceAddress(wire, path, type.family, notes);
  } else if (wire.ip_address) {
    // Nova writes the fixed IP even on DHCP networks; the kernel's address wins at run
    // time, but this one helps a DHCP lease that has not arrived yet to be recognised.
    const family = familyOf(wire.ip_address.split('/')[0] ?? '');
    if (family === type.family) network.address = toInterfaceAddress(wire, path, type.family, notes);
  }
  return [network];
}

function toInterfaceAddress(wire: WireNetwork, path: Path, family: Family, notes: Note[]) {
  if (!wire.ip_address) fail([...path, 'ip_address'], `a ${wire.type} network needs an address`);
  const [addressText = '', cidrPrefix] = wire.ip_address.split('/');
  if (familyOf(addressText) !== family) {
    fail([...path, 'ip_address'], `"${wire.ip_address}" is not an IPv${family} address`);
  }
  let prefix: number | undefined;
  if (cidrPrefix !== undefined) {
    prefix = toPrefix(cidrPrefix, family, [...path, 'ip_address']);
  } else if (wire.netmask !== undefined && wire.netmask !== null && wire.netmask !== '') {
    prefix = toPrefix(wire.netmask, family, [...path, 'netmask']);
  } else if (family === 6) {
    // Nova leaves the netmask out for some IPv6 subnets; a /64 is what SLAAC and
    // Neutron's IPv6 subnets use, and what cloud-init assumes too.
    prefix = 64;
    notes.push({ level: 'info', message: `network ${wire.id}: no netmask for ${addressText}, assuming /64` });
  } else {
    fail([...path, 'netmask'], 'an IPv4 network needs a netmask');
  }
  return { address: canonicalAddress(addressText), prefix };
}

function toRoute(wire: WireRoute, path: Path, networkFamily: Family): Route {
  const [networkText = '', cidrPrefix] = wire.network.split('/');
  const family = familyOf(networkText);
  if (!family) fail([...path, 'network'], `"${wire.network}" is not an address`);
  if (family !== networkFamily) fail([...path, 'network'], `"${wire.network}" is not IPv${networkFamily} like its network`);
  if (familyOf(wire.gateway) !== family) fail([...path, 'gateway'], `"${wire.gateway}" is not an IPv${family} address`);
  let prefix: number;
  if (cidrPrefix !== undefined) prefix = toPrefix(cidrPrefix, family, [...path, 'network']);
  else if (wire.netmask !== undefined && wire.netmask !== null && wire.netmask !== '') prefix = toPrefix(wire.netmask, family, [...path, 'netmask']);
  else if (ipaddr.parse(networkText).toByteArray().every((byte) => byte === 0)) prefix = 0;
  else fail([...path, 'netmask'], `route to ${wire.network} needs a netmask`);
  return { family, destination: subnetOf(networkText, prefix), gateway: canonicalAddress(wire.gateway) };
}

/** Netmask in any form Nova writes: 255.255.255.0, ffff:ffff:ffff:ffff::, "64", 24. */
function toPrefix(mask: string | number, family: Family, path: Path): number {
  const max = family === 4 ? 32 : 128;
  // A netmask written as CIDR ("::/0", "0.0.0.0/0") means its prefix length.
  const text = String(mask).trim().replace(/^.*\//, '');
  if (/^\d+$/.test(text)) {
    const prefix = Number(text);
    if (prefix <= max) return prefix;
    fail(path, `"${text}" is not a prefix length for IPv${family}`);
  }
  if (familyOf(text) === family) {
    const prefix = ipaddr.parse(text).prefixLengthFromSubnetMask();
    if (prefix !== null) return prefix;
  }
  fail(path, `"${text}" is not a netmask for IPv${family}`);
}

function dnsOf(services: { type: string; address?: string | undefined }[]): string[] {
  return services.filter((service) => service.type === 'dns' && service.address).map((service) => service.address as string);
}
