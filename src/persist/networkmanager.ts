/**
 * NetworkManager keyfile: a connection per interface with the routes in the NIC's table
 * (`routeN=dst,gw` + `routeN_options=table=T,src=S`) and `routing-ruleN=priority P from A
 * table T`, so NetworkManager itself puts them back whenever it activates the device. NM
 * rewrites a device's routes on reactivation, so rules added by hand would not last.
 *
 * multinic never edits a connection it did not write: where another connection already
 * matches the interface, it says so and writes nothing for it (see the README). Pure.
 */
import { familyOf, maxPrefix, prefixPart } from '../model/addresses.js';
import type { RuleSpec } from '../plan/types.js';
import { renderCommonFiles, routingOf, sortedNics } from './common.js';
import { headerLines } from './header.js';
import { destinationOf } from './routes.js';
import type { PersistInput, Rendered, RenderedFile } from './types.js';

const DIR = '/etc/NetworkManager/system-connections';

export function nmConnectionPath(iface: string): string {
  return `${DIR}/multinic-${iface}.nmconnection`;
}

/** A stable UUID from the MAC (NM requires one; a random one would rewrite the file every run). */
function uuidFor(mac: string): string {
  const hex = mac.replace(/:/g, '').padStart(12, '0');
  return `6d756c74-696e-4963-8000-${hex}`; // "multinic" in the first bytes, version-4 shaped
}

/** A rule in NetworkManager's routing-rule syntax (suppress_prefixlength: NM 1.20 or later). */
function nmRule(rule: RuleSpec): string {
  return [
    `priority ${rule.priority}`,
    `from ${rule.from}`,
    ...(rule.to ? [`to ${rule.to}`] : []),
    `table ${rule.table}`,
    ...(rule.suppressPrefixlength !== undefined ? [`suppress_prefixlength ${rule.suppressPrefixlength}`] : []),
  ].join(' ');
}

export function renderNetworkManager(input: PersistInput): Rendered {
  const files: RenderedFile[] = [];
  const notes: string[] = [];
  for (const nic of sortedNics(input)) {
    const ours = nmConnectionPath(nic.iface);
    const other = input.tree.nmConnections.find((connection) => connection.path !== ours && (connection.interfaceName === nic.iface || connection.mac === nic.mac));
    if (other) {
      notes.push(`${nic.iface} (${nic.mac}): ${other.path} already configures it and multinic does not edit files it did not write; nothing written for NetworkManager`);
      continue;
    }
    if (nic.kind && nic.kind !== 'physical') {
      // A connection of type=ethernet for a VLAN or bond would be a different device; one of
      // type vlan/bond needs its parent or members. No connection configures it: neither does multinic.
      notes.push(`${nic.iface} (${nic.mac}): no NetworkManager connection configures this ${nic.kind}; nothing written for NetworkManager`);
      continue;
    }
    const { routes, rules } = routingOf(input, nic);
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
      const familyRules = rules.filter((rule) => rule.family === family);
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
      addresses.filter((address) => !dynamic.includes(address)).forEach((address, index) => {
        const subnet = familyRoutes.find((route) => route.src === address && route.dst !== 'default');
        sections.push(`address${index + 1}=${address}/${(subnet ? prefixPart(subnet.dst) : undefined) ?? maxPrefix(family)}`);
      });
      if (dynamic.length === 0) sections.push('never-default=true');
      familyRoutes.forEach((route, index) => {
        const dst = destinationOf(route);
        sections.push(`route${index + 1}=${dst}${route.via ? `,${route.via}` : ''}`);
        const options = [`table=${route.table}`, ...(route.src ? [`src=${route.src}`] : [])];
        sections.push(`route${index + 1}_options=${options.join(',')}`);
      });
      familyRules.forEach((rule, index) => sections.push(`routing-rule${index + 1}=${nmRule(rule)}`));
    }
    files.push({ path: ours, content: `${sections.join('\n')}\n`, mode: 0o600 });
  }
  return { files: [...files, ...renderCommonFiles(input)], notes };
}
