/**
 * RHEL-family network-scripts and NetworkManager's ifcfg-rh plugin: route-<if> and
 * rule-<if> (and route6-/rule6-) in /etc/sysconfig/network-scripts, one `ip route add` /
 * `ip rule add` argument list per line, which ifup-routes runs when the interface comes
 * up. Pure.
 */
import { routeArgs, ruleArgs } from '../plan/ip-commands.js';
import { renderCommonFiles, routingOf, sortedNics } from './common.js';
import { headerLines } from './header.js';
import type { PersistInput, Rendered, RenderedFile } from './types.js';

const DIR = '/etc/sysconfig/network-scripts';

export function renderIfcfg(input: PersistInput): Rendered {
  const files: RenderedFile[] = [];
  for (const nic of sortedNics(input)) {
    const { routes, rules } = routingOf(input, nic);
    for (const family of [4, 6] as const) {
      const suffix = family === 4 ? '' : '6';
      const routeLines = routes
        .filter((route) => route.family === family)
        .map((route) => routeArgs('add', route).slice(2).join(' '));
      const ruleLines = rules
        .filter((rule) => rule.family === family)
        .map((rule) => ruleArgs('add', rule).slice(2).join(' '));
      if (routeLines.length > 0)
        files.push({
          path: `${DIR}/route${suffix}-${nic.iface}`,
          content: `${headerLines()}\n${routeLines.join('\n')}\n`,
          mode: 0o644,
        });
      if (ruleLines.length > 0)
        files.push({
          path: `${DIR}/rule${suffix}-${nic.iface}`,
          content: `${headerLines()}\n${ruleLines.join('\n')}\n`,
          mode: 0o644,
        });
    }
  }
  return { files: [...files, ...renderCommonFiles(input)], notes: [] };
}
