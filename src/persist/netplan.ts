/**
 * netplan: /etc/netplan/90-multinic.yaml, after cloud-init's 50-cloud-init.yaml, so netplan
 * merges our routes and routing policy into the definition of each interface (matched by
 * MAC, never renamed). Mode 0600: netplan warns about (and newer versions refuse) files
 * others can read. Pure.
 */
import { MULTINIC_PROTOCOL } from '../plan/ip-commands.js';
import type { RouteSpec } from '../plan/types.js';
import { renderCommonFiles, routingOf, rulesHostedBy, sortedNics } from './common.js';
import { headerLines } from './header.js';
import { findNetplanOwner } from './netplan-owner.js';
import { ruleSection } from './networkd.js';
import { destinationOf, gatewayOnLink } from './routes.js';
import type { PersistInput, Rendered, RenderedFile } from './types.js';

export const NETPLAN_PATH = '/etc/netplan/90-multinic.yaml';

function toNetplanRoute(route: RouteSpec): Record<string, Yaml> {
  return {
    to: destinationOf(route),
    ...(route.via ? { via: route.via } : {}),
    ...(route.src ? { from: route.src } : {}),
    ...(route.scope ? { scope: route.scope } : {}),
    ...(gatewayOnLink(route) ? { 'on-link': true } : {}),
    table: route.table,
  };
}

type Yaml = string | number | boolean | Yaml[] | { [key: string]: Yaml };

/**
 * Block-style YAML for the plain data above (maps, lists, scalars). Every string is
 * double-quoted (JSON escaping is valid YAML), so a MAC or `::/0` can never be read as
 * anything else. The yaml package did this too, but cost 38 kB of the 64 kB a user_data
 * may hold; test/unit/persist.test.ts reads the output back with it.
 */
export function toYaml(value: Yaml, indent = ''): string[] {
  const scalar = (item: string | number | boolean) => (typeof item === 'string' ? JSON.stringify(item) : String(item));
  const isScalar = (item: Yaml): item is string | number | boolean => typeof item !== 'object';
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (isScalar(item)) return [`${indent}- ${scalar(item)}`];
      const [first = '', ...rest] = toYaml(item, `${indent}  `);
      return [`${indent}- ${first.trimStart()}`, ...rest];
    });
  }
  if (typeof value !== 'object') return [`${indent}${scalar(value)}`];
  return Object.entries(value).flatMap(([key, item]) => {
    if (isScalar(item)) return [`${indent}${key}: ${scalar(item)}`];
    if (Array.isArray(item) && item.length === 0) return [`${indent}${key}: []`];
    return [`${indent}${key}:`, ...toYaml(item, `${indent}  `)];
  });
}

export function renderNetplan(input: PersistInput): Rendered {
  const sections: Record<string, Record<string, Yaml>> = {};
  const files: RenderedFile[] = [];
  const notes: string[] = [];
  let hosted = rulesHostedBy(input);
  for (const nic of sortedNics(input)) {
    const own = routingOf(input, nic);
    const { routes } = own;
    const owner = findNetplanOwner(input.tree.netplanDefinitions ?? [], nic.iface, nic.mac);
    const kind = nic.kind ?? 'physical';
    if (!owner && kind !== 'physical') {
      // netplan needs a VLAN's id and link, a bond's members: a definition of its own would
      // be a second, different device. The owner does not configure it, so neither does multinic.
      notes.push(
        `${nic.iface} (${nic.mac}): no netplan definition of this ${kind} in the owner's files; nothing written for netplan`,
      );
      continue;
    }
    // The first definition written also carries the rules of the NICs no owner configures.
    const rules = [...own.rules, ...hosted];
    hosted = [];
    const type = owner?.type ?? 'ethernets';
    const id = owner?.id ?? nic.iface;
    sections[type] ??= {};
    sections[type][id] = {
      // The owner's definition says which device it is; a new one matches by MAC, never renames.
      ...(owner ? {} : { match: { macaddress: nic.mac } }),
      routes: routes.map(toNetplanRoute),
      // netplan has no suppress_prefixlength: tier 2 (src/plan/local-paths.ts) goes to a
      // networkd drop-in of the file netplan generates for this ID, below.
      'routing-policy': rules
        .filter((rule) => rule.suppressPrefixlength === undefined)
        .map((rule) => ({
          from: rule.from,
          ...(rule.to ? { to: rule.to } : {}),
          table: rule.table,
          priority: rule.priority,
        })),
    };
    const mainRules = rules.filter((rule) => rule.suppressPrefixlength !== undefined);
    if (mainRules.length > 0) {
      files.push({
        path: `/etc/systemd/network/10-netplan-${id}.network.d/90-multinic.conf`,
        content: `${headerLines()}\n# netplan cannot say suppress_prefixlength; networkd reads this beside ${NETPLAN_PATH}.\n\n${mainRules.map(ruleSection).join('\n\n')}\n`,
        mode: 0o644,
      });
    }
  }
  const yaml = `${toYaml({ network: { version: 2, ...sections } }).join('\n')}\n`;
  const comment = `# netplan writes these routes with its own protocol, not multinic's (${MULTINIC_PROTOCOL}).\n`;
  return {
    files: [
      { path: NETPLAN_PATH, content: `${headerLines()}\n${comment}${yaml}`, mode: 0o600 },
      ...files,
      ...renderCommonFiles(input),
    ],
    notes,
  };
}
