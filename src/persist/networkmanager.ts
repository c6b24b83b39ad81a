/**
 * NetworkManager keyfiles. NM applies the routes (`routeN=dst,gw` + `routeN_options=table=T,src=S`)
 * and rules (`routing-ruleN=priority P from A table T`) of the connection active on a device,
 * and puts them back whenever it activates it; rules added by hand would not last, and a
 * second connection for a device is never active beside the first.
 *
 * So, per NIC (issue 14, "the connection that owns it, or none"):
 * - a connection another tool wrote (cloud-init's `cloud-init-<if>.nmconnection`, an admin's
 *   bond or VLAN connection) owns it: multinic's routing goes into that file as a marked
 *   block (nm-keyfile.ts), in whatever type the owner gave it; its method, addresses and
 *   everything else stay as they are (a DHCP connection stays DHCP);
 * - no connection, and a plain NIC: a connection of multinic's own;
 * - no connection, and a VLAN or bond: nothing (an ethernet connection would be another
 *   device; a vlan/bond one would need its parent or ports, which are not multinic's).
 * Owners' files that hold a block of multinic's for a NIC it no longer manages get it taken
 * back. Pure: the owners' text comes in through the tree facts.
 */
import { familyOf, maxPrefix, prefixPart } from '../model/addresses.js';
import { renderCommonFiles, routingOf, sortedNics } from './common.js';
import { highestIndex, joinMultinic, nmRoutingLines, takeBackMultinic, type NmFamilySection } from './nm-keyfile.js';
import { headerLines, isGenerated } from './header.js';
import type { NmConnectionFacts, PersistInput, Rendered, RenderedFile } from './types.js';

const DIR = '/etc/NetworkManager/system-connections';

export function nmConnectionPath(iface: string): string {
  return `${DIR}/multinic-${iface}.nmconnection`;
}

/** A stable UUID from the MAC (NM requires one; a random one would rewrite the file every run). */
function uuidFor(mac: string): string {
  const hex = mac.replace(/:/g, '').padStart(12, '0');
  return `6d756c74-696e-4963-8000-${hex}`; // "multinic" in the first bytes, version-4 shaped
}

/**
 * The connections that configure a NIC: by interface-name, or (for a plain NIC only) by
 * mac-address on an ethernet connection, since a VLAN shares its parent's MAC. Never
 * multinic's own, and never a bond's port, which carries no IP configuration.
 */
export function findNmOwners(
  connections: NmConnectionFacts[],
  nic: { iface: string; mac: string; kind?: string },
): NmConnectionFacts[] {
  const candidates = connections.filter((connection) => !connection.port && !isGenerated(connection.text ?? ''));
  const byName = candidates.filter((connection) => connection.interfaceName === nic.iface);
  if (byName.length > 0) return byName;
  if (nic.kind && nic.kind !== 'physical') return [];
  return candidates.filter(
    (connection) =>
      connection.mac === nic.mac &&
      connection.interfaceName === undefined &&
      /^(ethernet|802-3-ethernet)$/.exec(connection.type ?? 'ethernet'),
  );
}

export function renderNetworkManager(input: PersistInput): Rendered {
  const files: RenderedFile[] = [];
  const notes: string[] = [];
  const joined = new Set<string>();
  for (const nic of sortedNics(input)) {
    const { routes, rules } = routingOf(input, nic);
    const owners = findNmOwners(input.tree.nmConnections, nic);
    if (owners.length > 0) {
      // NM activates one of several connections for a device (by autoconnect-priority and
      // last use); which one is not knowable offline, so each gets the routing.
      if (owners.length > 1)
        notes.push(
          `${nic.iface} (${nic.mac}): ${owners.map((owner) => owner.path).join(', ')} all configure it; multinic's routing is added to each`,
        );
      for (const owner of owners) {
        const base = owner.text ?? '';
        const clean = takeBackMultinic(base);
        const additions = ([4, 6] as const).map((family) => {
          const section: NmFamilySection = family === 4 ? 'ipv4' : 'ipv6';
          const start = {
            route: highestIndex(clean, section, ['route', 'routes']) + 1,
            rule: highestIndex(clean, section, ['routing-rule']) + 1,
          };
          return { section, lines: nmRoutingLines(family, routes, rules, start) };
        });
        const content = joinMultinic(clean, additions);
        joined.add(owner.path);
        files.push({ path: owner.path, content, mode: 0o600, join: { base, ours: content !== clean } });
      }
      continue;
    }
    if (nic.kind && nic.kind !== 'physical') {
      notes.push(
        `${nic.iface} (${nic.mac}): no NetworkManager connection configures this ${nic.kind}; nothing written for NetworkManager`,
      );
      continue;
    }
    files.push({ path: nmConnectionPath(nic.iface), content: renderOwnConnection(nic, routes, rules), mode: 0o600 });
  }
  // A NIC multinic no longer manages (detached, or gone from the document): its block comes out of the owner's file.
  for (const connection of input.tree.nmConnections) {
    if (joined.has(connection.path) || connection.text === undefined || isGenerated(connection.text)) continue;
    const clean = takeBackMultinic(connection.text);
    if (clean !== connection.text)
      files.push({ path: connection.path, content: clean, mode: 0o600, join: { base: connection.text, ours: false } });
  }
  return { files: [...files, ...renderCommonFiles(input)], notes };
}

/** multinic's own connection, for a plain NIC no connection configures. */
function renderOwnConnection(
  nic: PersistInput['nics'][number],
  routes: ReturnType<typeof routingOf>['routes'],
  rules: ReturnType<typeof routingOf>['rules'],
): string {
  const sections: string[] = [
    headerLines(),
    '[connection]',
    `id=multinic-${nic.iface}`,
    `uuid=${uuidFor(nic.mac)}`,
    'type=ethernet',
    `interface-name=${nic.iface}`,
    '',
    '[ethernet]',
    `mac-address=${nic.mac.toUpperCase()}`,
  ];
  for (const family of [4, 6] as const) {
    const familyRoutes = routes.filter((route) => route.family === family);
    const addresses = nic.addresses.filter((address) => familyOf(address) === family);
    sections.push('', `[ipv${family}]`);
    if (addresses.length === 0) {
      sections.push(family === 4 ? 'method=disabled' : 'method=ignore');
      continue;
    }
    const dynamic = addresses.filter((address) => nic.dynamic?.includes(address));
    if (dynamic.length > 0) {
      // DHCP or SLAAC put these there: written as static they would outlive their lease.
      // auto keeps NM's client; the default route it learns stays in the main table.
      sections.push('method=auto');
    } else {
      // The addresses as the metadata has them (prefix from the subnet route that carries
      // each as `src`); never-default: the main table's default route stays where it is.
      sections.push('method=manual');
    }
    addresses
      .filter((address) => !dynamic.includes(address))
      .forEach((address, index) => {
        const subnet = familyRoutes.find((route) => route.src === address && route.dst !== 'default');
        sections.push(
          `address${index + 1}=${address}/${(subnet ? prefixPart(subnet.dst) : undefined) ?? maxPrefix(family)}`,
        );
      });
    if (dynamic.length === 0) sections.push('never-default=true');
    sections.push(...nmRoutingLines(family, routes, rules, { route: 1, rule: 1 }));
  }
  return `${sections.join('\n')}\n`;
}
