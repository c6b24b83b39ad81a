/**
 * Matches the links of network_data.json to the guest's interfaces, by MAC (case does not
 * matter), and decides which addresses each interface should answer on. Pure: the
 * interfaces and their default gateways are read elsewhere and passed in.
 */
import { contains, subnetOf } from '../model/addresses.js';
import type { Family, KernelInterface, Link, Mapping, NetworkData, Nic, NicAddress, Note } from '../model/types.js';

/** Default gateways the kernel has per interface (from DHCP or router advertisements). */
export type LiveGateways = Map<string, Partial<Record<Family, string>>>;

export function mapLinks(
  data: NetworkData,
  interfaces: KernelInterface[],
  liveGateways: LiveGateways = new Map(),
): Mapping {
  const notes: Note[] = [];
  const absentAddresses: Mapping['absentAddresses'] = [];
  const byId = new Map(data.links.map((link) => [link.id, link]));
  const found = new Map<string, KernelInterface>();
  const resolve = (link: Link, seen = new Set<string>()): KernelInterface | undefined => {
    if (found.has(link.id)) return found.get(link.id);
    if (seen.has(link.id)) return undefined; // a vlan_link loop: refuse quietly, reported as missing
    seen.add(link.id);
    const parentLink = link.vlan ? byId.get(link.vlan.parentId) : undefined;
    const parent = parentLink ? resolve(parentLink, seen) : undefined;
    const iface = findInterface(link, interfaces, parent);
    if (iface) found.set(link.id, iface);
    return iface;
  };
  data.links.forEach((link) => resolve(link));

  const nics: Nic[] = [];
  const missing: Mapping['missing'] = [];
  const linksWithNetworks = data.links.filter((link) => data.networks.some((network) => network.linkId === link.id));
  for (const link of linksWithNetworks) {
    const iface = found.get(link.id);
    const label = `link ${link.id}${link.mac ? ` (${link.mac})` : ''}`;
    if (!iface) {
      missing.push({ linkId: link.id, ...(link.mac ? { mac: link.mac } : {}) });
      notes.push({ level: 'warn', message: `${label}: no interface with this MAC on the guest, left out` });
      continue;
    }
    const mac = link.mac ?? iface.mac;
    if (!mac) {
      notes.push({ level: 'warn', message: `${iface.name} (${label}): has no MAC address, left out` });
      continue;
    }
    const addresses = addressesFor(link, iface, data, liveGateways.get(iface.name) ?? {}, notes, absentAddresses);
    if (addresses.length === 0) {
      notes.push({
        level: 'warn',
        message: `${iface.name} (${mac}): no address on the interface for its networks, left out`,
      });
      continue;
    }
    nics.push({ mac, iface: iface.name, linkId: link.id, kind: link.kind, addresses });
  }

  const used = new Set([...found.values()].map((iface) => iface.name));
  const unlisted = interfaces
    .filter((iface) => !iface.loopback && iface.mac && !used.has(iface.name))
    .map((iface) => ({ iface: iface.name, ...(iface.mac ? { mac: iface.mac } : {}) }));
  return { nics, missing, unlisted, absentAddresses, notes };
}

/**
 * The interface that carries `link`. VLAN devices usually share their parent's MAC and
 * bond slaves the bond's, so the MAC alone is not enough: the kind must fit too.
 */
function findInterface(
  link: Link,
  interfaces: KernelInterface[],
  parent: KernelInterface | undefined,
): KernelInterface | undefined {
  const candidates = interfaces.filter((iface) => !iface.loopback);
  if (link.kind === 'vlan' && link.vlan) {
    const vlanId = link.vlan.vlanId;
    const byParent =
      parent &&
      candidates.find((iface) => iface.kind === 'vlan' && iface.parent === parent.name && iface.vlanId === vlanId);
    if (byParent) return byParent;
    if (!link.mac)
      return link.name ? candidates.find((iface) => iface.name === link.name && iface.kind === 'vlan') : undefined;
    // A VLAN with its own MAC, or a stand-in device that carries the VLAN's MAC.
    const sameMac = candidates.filter((iface) => iface.mac === link.mac && iface !== parent);
    return (
      sameMac.find((iface) => iface.kind === 'vlan' && iface.vlanId === vlanId) ??
      sameMac.find((iface) => iface.kind !== 'vlan')
    );
  }
  if (link.kind === 'bond') {
    const bonds = candidates.filter((iface) => iface.kind === 'bond');
    if (!link.mac) return bonds.find((iface) => iface.name === link.name);
    return (
      bonds.find((iface) => iface.mac === link.mac) ??
      candidates.find((iface) => iface.mac === link.mac && !iface.master)
    );
  }
  if (!link.mac) return candidates.find((iface) => iface.name === link.name); // bare-metal documents without MACs
  const sameMac = candidates.filter(
    (iface) => iface.mac === link.mac && iface.kind !== 'vlan' && iface.kind !== 'bond',
  );
  return sameMac.find((iface) => !iface.master) ?? sameMac[0];
}

function addressesFor(
  link: Link,
  iface: KernelInterface,
  data: NetworkData,
  liveGateway: Partial<Record<Family, string>>,
  notes: Note[],
  absent: Mapping['absentAddresses'],
): NicAddress[] {
  const result: NicAddress[] = [];
  const seen = new Set<string>();
  const add = (address: NicAddress) => {
    if (seen.has(address.address)) return;
    seen.add(address.address);
    result.push(address);
  };
  for (const network of data.networks.filter((candidate) => candidate.linkId === link.id)) {
    const onInterface = iface.addresses.filter((address) => address.family === network.family);
    if (network.source === 'static') {
      const wanted = network.address;
      if (!wanted) continue;
      if (!onInterface.some((address) => address.address === wanted.address)) {
        absent.push({ iface: iface.name, address: wanted.address });
        notes.push({
          level: 'warn',
          message: `${iface.name} (${link.mac ?? iface.mac ?? 'no MAC'}): ${wanted.address} from network ${network.id} is not on the interface (yet), left out`,
        });
        continue;
      }
      add({
        family: network.family,
        address: wanted.address,
        prefix: wanted.prefix,
        subnet: subnetOf(wanted.address, wanted.prefix),
        ...(network.gateway ? { gateway: network.gateway } : {}),
        routes: network.routes,
        origin: 'metadata',
        networkId: network.id,
      });
      continue;
    }
    // DHCP and SLAAC: the kernel holds the truth. Take its global addresses of the
    // network's family; the gateway from the metadata, else the one DHCP/RA installed.
    const learned = onInterface.filter((address) => address.scope === 'global');
    if (learned.length === 0) {
      notes.push({
        level: 'warn',
        message: `${iface.name}: no ${network.source} IPv${network.family} address on the interface yet (network ${network.id})`,
      });
    }
    const gateway = network.gateway ?? liveGateway[network.family];
    for (const address of learned) {
      const subnet = subnetOf(address.address, address.prefix);
      if (network.address && !contains(subnet, network.address.address) && learned.length > 1) continue;
      add({
        family: network.family,
        address: address.address,
        prefix: address.prefix,
        subnet,
        ...(gateway ? { gateway } : {}),
        routes: network.routes,
        origin: 'kernel',
        networkId: network.id,
      });
    }
  }
  return result;
}
