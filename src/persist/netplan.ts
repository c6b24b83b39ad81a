/**
 * netplan: /etc/netplan/90-multinic.yaml, after cloud-init's 50-cloud-init.yaml, so netplan
 * merges our routes and routing policy into the definition of each interface (matched by
 * MAC, never renamed). Mode 0600: netplan warns about (and newer versions refuse) files
 * others can read. Pure.
 */
import { stringify } from 'yaml';
import { MULTINIC_PROTOCOL } from '../plan/ip-commands.js';
import type { RouteSpec } from '../plan/types.js';
import { renderCommonFiles, routingOf, sortedNics } from './common.js';
import { headerLines } from './header.js';
import type { PersistInput, Rendered } from './types.js';

export const NETPLAN_PATH = '/etc/netplan/90-multinic.yaml';

function toNetplanRoute(route: RouteSpec): Record<string, unknown> {
  return {
    to: route.dst === 'default' ? (route.family === 4 ? '0.0.0.0/0' : '::/0') : route.dst,
    ...(route.via ? { via: route.via } : {}),
    ...(route.src ? { from: route.src } : {}),
    ...(route.scope ? { scope: route.scope } : {}),
    // A link-local IPv6 gateway is on-link by definition; netplan wants it said.
    ...(route.via?.startsWith('fe80:') ? { 'on-link': true } : {}),
    table: route.table,
  };
}

export function renderNetplan(input: PersistInput): Rendered {
  const ethernets: Record<string, unknown> = {};
  for (const nic of sortedNics(input)) {
    const { routes, rules } = routingOf(input, nic.table);
    ethernets[nic.iface] = {
      match: { macaddress: nic.mac },
      routes: routes.map(toNetplanRoute),
      'routing-policy': rules.map((rule) => ({ from: rule.from, table: rule.table, priority: rule.priority })),
    };
  }
  const yaml = stringify({ network: { version: 2, ethernets } }, { lineWidth: 0 });
  const comment = `# netplan writes these routes with its own protocol, not multinic's (${MULTINIC_PROTOCOL}).\n`;
  return {
    files: [{ path: NETPLAN_PATH, content: `${headerLines()}\n${comment}${yaml}`, mode: 0o600 }, ...renderCommonFiles(input)],
    notes: [],
  };
}
