/**
 * systemd-networkd: a drop-in beside the .network file that configures each interface,
 * with [Route] Table= and [RoutingPolicyRule] From= Table= Priority=, so networkd itself
 * keeps them (with ManageForeignRoutingPolicyRules=yes, its default, it would remove
 * rules it did not make when it reconfigures). Pure.
 */
import { MULTINIC_PROTOCOL } from '../plan/ip-commands.js';
import { MAIN_TABLE } from '../plan/local-paths.js';
import type { RouteSpec, RuleSpec } from '../plan/types.js';
import { renderCommonFiles, routingOf, rulesHostedBy, sortedNics } from './common.js';
import { headerLines } from './header.js';
import { destinationOf, gatewayOnLink } from './routes.js';
import type { PersistInput, Rendered, RenderedFile } from './types.js';

function routeSection(route: RouteSpec): string {
  return [
    '[Route]',
    `Destination=${destinationOf(route)}`,
    ...(route.via ? [`Gateway=${route.via}`] : []),
    ...(gatewayOnLink(route) ? ['GatewayOnLink=yes'] : []),
    ...(route.src ? [`PreferredSource=${route.src}`] : []),
    ...(route.scope ? [`Scope=${route.scope}`] : []),
    `Table=${route.table}`,
    `Protocol=${MULTINIC_PROTOCOL}`,
  ].join('\n');
}

/** One rule of src/plan/local-paths.ts; SuppressPrefixLength= needs systemd 243 or later. */
export function ruleSection(rule: RuleSpec): string {
  return [
    '[RoutingPolicyRule]',
    `From=${rule.from}`,
    ...(rule.to ? [`To=${rule.to}`] : []),
    `Table=${rule.table === MAIN_TABLE ? 'main' : rule.table}`,
    `Priority=${rule.priority}`,
    ...(rule.suppressPrefixlength !== undefined ? [`SuppressPrefixLength=${rule.suppressPrefixlength}`] : []),
  ].join('\n');
}

export function renderNetworkd(input: PersistInput): Rendered {
  const files: RenderedFile[] = [];
  const notes: string[] = [];
  let hosted = rulesHostedBy(input);
  for (const nic of sortedNics(input)) {
    // The file networkd uses for the interface: the first (in lexical order) that matches.
    const owner = [...input.tree.networkdFiles]
      .sort((a, b) => a.path.split('/').pop()!.localeCompare(b.path.split('/').pop()!))
      .find((file) => file.names.includes(nic.iface) || file.macs.includes(nic.mac));
    if (!owner) {
      notes.push(
        `${nic.iface} (${nic.mac}): no systemd-networkd .network file matches it; networkd does not manage it, nothing written`,
      );
      continue;
    }
    const { routes, rules } = routingOf(input, nic);
    // The first drop-in written also carries the rules of the NICs no owner configures.
    const sections = [...routes.map(routeSection), ...[...rules, ...hosted].map(ruleSection)];
    hosted = [];
    // Drop-ins of files in /usr/lib or /run go to /etc, where the admin's config lives.
    const name = owner.path.split('/').pop()!;
    files.push({
      path: `/etc/systemd/network/${name}.d/90-multinic.conf`,
      content: `${headerLines()}\n\n${sections.join('\n\n')}\n`,
      mode: 0o644,
    });
  }
  return { files: [...files, ...renderCommonFiles(input)], notes };
}
