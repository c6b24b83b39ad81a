/**
 * Turns a network_data.json document into domain types (src/model/types.ts): MACs lower
 * case, addresses canonical, netmasks as prefix lengths, default routes split from host
 * routes. Strict where multinic's decisions depend on a field, tolerant elsewhere
 * (issue 14): what would do harm is refused with its JSON path (exit 65), a field multinic
 * does not use is at most a warning. The README lists which is which.
 */
import ipaddr from 'ipaddr.js';
import * as z from './zod.js';
import { InvalidNetworkData } from '../errors.js';
import {
  addressPart,
  canonicalAddress,
  cidrText,
  contains,
  familyOf,
  isLinkLocal,
  maxPrefix,
  normaliseMac,
  prefixPart,
  subnetOf,
} from '../model/addresses.js';
import type { AddressSource, Family, Link, Network, NetworkData, Note, Route } from '../model/types.js';
import { wireNetworkData, type WireLink, type WireNetwork, type WireRoute } from './network-data.js';

/** Link types Nova (nova/network/model.py VIF_TYPE_*) and Ironic emit for a plain port. */
export const PHYSICAL_LINK_TYPES = new Set([
  'phy',
  'bridge',
  'ethernet',
  'ovs',
  'tap',
  'vif',
  'vhostuser',
  'hw_veb',
  'hostdev_physical',
  'hyperv',
  'vrouter',
  'dvs',
  'ib_hostdev',
  'midonet',
  'iovisor',
  'macvtap',
  'agilio_ovs',
  'binding_failed',
  'unbound',
  'other',
  '802.1qbg',
  '802.1qbh',
  'distributed',
  'vdpa',
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
  return path
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`))
    .join('')
    .replace(/^\./, '');
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
  // A document without the key is not one that lists no networks: taking it for one would
  // remove every rule multinic made. "networks": [] says so, and is applied as such.
  if (wire.networks === undefined || wire.networks === null) {
    fail(
      ['networks'],
      `${wire.networks === null ? 'is null' : 'is missing'}: applying it would remove every NIC's rules; a document for a guest with no networks says "networks": []`,
    );
  }
  const notes: Note[] = [];
  const links = wire.links.map((link, index) => toLink(link, ['links', index], notes));
  const linkIds = new Set<string>();
  links.forEach((link, index) => {
    if (linkIds.has(link.id)) fail(['links', index, 'id'], `duplicate link id "${link.id}"`);
    linkIds.add(link.id);
  });
  const macOwners = new Map<string, number>();
  links.forEach((link, index) => {
    // Two ports with one MAC: which interface is which cannot be told. VLANs share their
    // parent's MAC and bonds their members', so only plain links count.
    if (link.kind !== 'physical' || !link.mac) return;
    const other = macOwners.get(link.mac);
    if (other !== undefined)
      fail(
        ['links', index, 'ethernet_mac_address'],
        `${link.mac} is also the MAC of link "${links[other]!.id}" (links[${other}]): which interface is which cannot be told`,
      );
    macOwners.set(link.mac, index);
  });
  links.forEach((link, index) => {
    if (link.vlan?.parentId === link.id)
      fail(['links', index, 'vlan_link'], `the VLAN "${link.id}" names itself as its parent`);
    if (link.vlan && !linkIds.has(link.vlan.parentId)) {
      fail(['links', index, 'vlan_link'], `names link "${link.vlan.parentId}", which is not in links`);
    }
    if (link.bond?.memberIds.includes(link.id))
      fail(['links', index, 'bond_links'], `the bond "${link.id}" names itself as its member`);
  });
  const gateways: GatewayCheck[] = [];
  const networkIds = new Map<string, number>();
  const networks = wire.networks.flatMap((network, index) => {
    if (!linkIds.has(network.link))
      fail(['networks', index, 'link'], `names link "${network.link}", which is not in links`);
    const parsed = toNetwork(network, ['networks', index], notes, gateways);
    for (const one of parsed) {
      // Only named in messages; Ironic's own sample repeats one, so a warning, not a refusal.
      const other = networkIds.get(one.id);
      if (other !== undefined)
        notes.push({
          level: 'warn',
          message: `networks[${index}].id: "${one.id}" is also the id of networks[${other}]; messages name both the same`,
        });
      networkIds.set(one.id, index);
    }
    return parsed;
  });
  checkGateways(networks, gateways, notes);
  return { data: { links, networks }, notes };
}

interface GatewayCheck {
  linkId: string;
  family: Family;
  gateway: string;
  path: Path;
  /** The host route it belongs to (absent: the network's default gateway). */
  route?: Route;
  network?: Network;
}

/**
 * A gateway must be reachable on the link: inside a subnet of one of the link's networks
 * (the NIC's table holds those subnet routes), or IPv6 link-local. Otherwise the kernel
 * refuses the route ("Nexthop has invalid gateway") half-way through a batch, and nothing
 * is applied. Real documents have such routes (Ironic's own sample), and the rest of the
 * document is fine: the route is left out, with a warning naming its JSON path. A link with
 * a DHCP/SLAAC network of that family is not judged: its subnet is only known at run time.
 */
function checkGateways(networks: Network[], checks: GatewayCheck[], notes: Note[]): void {
  for (const check of checks) {
    if (check.family === 6 && isLinkLocal(check.gateway)) continue;
    const onLink = networks.filter((network) => network.linkId === check.linkId && network.family === check.family);
    if (onLink.some((network) => network.source !== 'static')) continue;
    const subnets = onLink.flatMap((network) =>
      network.address ? [subnetOf(network.address.address, network.address.prefix)] : [],
    );
    if (subnets.some((subnet) => contains(subnet, check.gateway))) continue;
    const network = check.network;
    if (!network) continue;
    if (check.route) network.routes = network.routes.filter((route) => route !== check.route);
    else if (network.gateway === check.gateway) delete network.gateway;
    else continue; // a second default route of the network, never used
    notes.push({
      level: 'warn',
      message: `${pathText(check.path)}: ${check.gateway} is outside every subnet of link "${check.linkId}" (${subnets.map(cidrText).join(', ') || 'none'}); the kernel would refuse a route through it, left out`,
    });
  }
}

function toLink(wire: WireLink, path: Path, notes: Note[]): Link {
  const mac = wire.ethernet_mac_address ? normaliseMac(wire.ethernet_mac_address) : undefined;
  if (wire.ethernet_mac_address && !mac) {
    fail([...path, 'ethernet_mac_address'], `"${wire.ethernet_mac_address}" is not a MAC address`);
  }
  const base = { id: wire.id, type: wire.type ?? 'none', ...(wire.name ? { name: wire.name } : {}) };
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
      bond: {
        memberIds: members,
        ...(typeof wire.bond_mode === 'string' && wire.bond_mode ? { mode: wire.bond_mode } : {}),
      },
    };
  }
  if (!mac && !wire.name)
    fail(
      [...path, 'ethernet_mac_address'],
      `link "${wire.id}" of type "${wire.type ?? 'none'}" has neither a MAC address nor a name`,
    );
  if (!wire.type) {
    notes.push({
      level: 'warn',
      message: `link ${wire.id} (${mac ?? wire.name ?? 'no MAC'}): no type given, treated as a physical link`,
    });
  } else if (!PHYSICAL_LINK_TYPES.has(wire.type)) {
    notes.push({
      level: 'warn',
      message: `link ${wire.id} (${mac ?? wire.name ?? 'no MAC'}): unknown type "${wire.type}", treated as a physical link`,
    });
  }
  return { ...base, kind: 'physical', ...(mac ? { mac } : {}) };
}

/** A network's id is only named in messages: any scalar will do, a missing one is named by its path. */
function networkIdOf(wire: WireNetwork, path: Path, notes: Note[]): string {
  if (typeof wire.id === 'string' && wire.id !== '') return wire.id;
  if (typeof wire.id === 'number' || typeof wire.id === 'boolean') return String(wire.id);
  notes.push({
    level: 'warn',
    message: `${pathText([...path, 'id'])}: no usable id (${wire.id === undefined ? 'missing' : JSON.stringify(wire.id)}), called ${pathText(path)}`,
  });
  return pathText(path);
}

function toNetwork(wire: WireNetwork, path: Path, notes: Note[], gateways: GatewayCheck[] = []): Network[] {
  const id = networkIdOf(wire, path, notes);
  const type = NETWORK_TYPES[wire.type];
  if (!type) {
    notes.push({
      level: 'warn',
      message: `network ${id} on link ${wire.link}: unknown type "${wire.type}", left alone`,
    });
    return [];
  }
  const routes: Route[] = [];
  const checks: GatewayCheck[] = [];
  let gateway: string | undefined;
  (wire.routes ?? []).forEach((route, index) => {
    const routePath = [...path, 'routes', index];
    const parsed = toRoute(route, routePath, type.family, notes);
    if (parsed.destination.prefix === 0) {
      if (!gateway)
        checks.push({
          linkId: wire.link,
          family: type.family,
          gateway: parsed.gateway,
          path: [...routePath, 'gateway'],
        });
      gateway ??= parsed.gateway;
    } else {
      routes.push(parsed);
      checks.push({
        linkId: wire.link,
        family: type.family,
        gateway: parsed.gateway,
        path: [...routePath, 'gateway'],
        route: parsed,
      });
    }
  });
  if (!gateway && wire.gateway) {
    if (familyOf(wire.gateway) !== type.family)
      fail([...path, 'gateway'], `"${wire.gateway}" is not an IPv${type.family} address`);
    gateway = canonicalAddress(wire.gateway);
    checks.push({ linkId: wire.link, family: type.family, gateway, path: [...path, 'gateway'] });
  }
  const networkId = typeof wire.network_id === 'string' && wire.network_id ? wire.network_id : undefined;
  const network: Network = {
    id,
    path: pathText(path),
    linkId: wire.link,
    family: type.family,
    source: type.source,
    routes,
    ...(gateway ? { gateway } : {}),
    ...(networkId ? { networkId } : {}),
  };
  for (const check of checks) gateways.push({ ...check, network });
  if (type.source === 'static') {
    network.address = toInterfaceAddress(wire, path, type.family, notes);
  } else if (wire.ip_address) {
    // Nova writes the fixed IP even on DHCP networks; the kernel's address wins at run
    // time, but this one helps a DHCP lease that has not arrived yet to be recognised.
    const family = familyOf(addressPart(wire.ip_address));
    if (family === type.family) network.address = toInterfaceAddress(wire, path, type.family, notes);
  }
  return [network];
}

function toInterfaceAddress(wire: WireNetwork, path: Path, family: Family, notes: Note[]) {
  if (!wire.ip_address) fail([...path, 'ip_address'], `a ${wire.type} network needs an address`);
  const addressText = addressPart(wire.ip_address);
  const cidrPrefix = prefixPart(wire.ip_address);
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
    notes.push({ level: 'info', message: `network ${String(wire.id)}: no netmask for ${addressText}, assuming /64` });
  } else {
    fail([...path, 'netmask'], 'an IPv4 network needs a netmask');
  }
  if (prefix === 0) {
    // A /0 subnet route would claim every address as on-link through this NIC.
    fail(
      [...path, cidrPrefix !== undefined ? 'ip_address' : 'netmask'],
      `a netmask of 0 for ${addressText} would make every address on-link; the kernel would send all its traffic out of this NIC`,
    );
  }
  return { address: canonicalAddress(addressText), prefix };
}

function toRoute(wire: WireRoute, path: Path, networkFamily: Family, notes: Note[]): Route {
  const networkText = addressPart(wire.network);
  const cidrPrefix = prefixPart(wire.network);
  const family = familyOf(networkText);
  if (!family) fail([...path, 'network'], `"${wire.network}" is not an address`);
  if (family !== networkFamily)
    fail([...path, 'network'], `"${wire.network}" is not IPv${networkFamily} like its network`);
  if (familyOf(wire.gateway) !== family) fail([...path, 'gateway'], `"${wire.gateway}" is not an IPv${family} address`);
  let prefix: number;
  if (cidrPrefix !== undefined) prefix = toPrefix(cidrPrefix, family, [...path, 'network']);
  else if (wire.netmask !== undefined && wire.netmask !== null && wire.netmask !== '')
    prefix = toPrefix(wire.netmask, family, [...path, 'netmask']);
  else if (
    ipaddr
      .parse(networkText)
      .toByteArray()
      .every((byte) => byte === 0)
  )
    prefix = 0;
  else fail([...path, 'netmask'], `route to ${wire.network} needs a netmask`);
  const destination = subnetOf(networkText, prefix);
  if (destination.address !== canonicalAddress(networkText)) {
    // What a person means by 198.51.100.7/24 is 198.51.100.0/24; the kernel refuses the other.
    notes.push({
      level: 'warn',
      message: `${pathText([...path, 'network'])}: ${networkText}/${prefix} has host bits set; routed as ${cidrText(destination)}`,
    });
  }
  return { family, destination, gateway: canonicalAddress(wire.gateway) };
}

/** Netmask in any form Nova writes: 255.255.255.0, ffff:ffff:ffff:ffff::, "64", 24. */
function toPrefix(mask: string | number, family: Family, path: Path): number {
  const max = maxPrefix(family);
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
