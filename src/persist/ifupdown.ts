/**
 * ifupdown (Debian's /etc/network/interfaces): one stanza per interface in
 * /etc/network/interfaces.d/multinic-<iface>, with post-up lines that add the table and
 * rules and pre-down lines that remove exactly those. The seed recipe, made correct: a
 * repeated ifup does not fail on objects that exist (`route replace`; a rule is deleted
 * before it is added), and pre-down never fails the ifdown. Pure.
 */
import { routeArgs, ruleArgs } from '../plan/ip-commands.js';
import { renderCommonFiles, routingOf, sortedNics } from './common.js';
import { headerLines } from './header.js';
import type { PersistInput, Rendered, RenderedFile } from './types.js';

export function renderIfupdown(input: PersistInput): Rendered {
  const files: RenderedFile[] = [];
  for (const nic of sortedNics(input)) {
    const { routes, rules } = routingOf(input, nic);
    const ip = (family: 4 | 6, args: string[]) => `ip -${family} ${args.join(' ')}`;
    const up = [
      ...routes.map((route) => ip(route.family, routeArgs('add', route)).replace(' route add ', ' route replace ')),
      ...rules.map(
        (rule) =>
          `${ip(rule.family, ruleArgs('del', rule))} 2>/dev/null || true; ${ip(rule.family, ruleArgs('add', rule))}`,
      ),
    ];
    const down = [
      ...rules.map((rule) => `${ip(rule.family, ruleArgs('del', rule))} 2>/dev/null || true`),
      ...routes.map((route) => `${ip(route.family, routeArgs('del', route))} 2>/dev/null || true`),
    ];
    const lines = [
      headerLines(),
      `# ${nic.iface} (${nic.mac}): table ${nic.table}, rule priority ${nic.priority}`,
      // `manual`: the addresses are configured elsewhere (cloud-init, DHCP); this stanza only
      // hooks the routing to the interface's up and down.
      `iface ${nic.iface} inet manual`,
      ...up.map((command) => `    post-up ${command}`),
      ...down.map((command) => `    pre-down ${command}`),
    ];
    files.push({
      path: `/etc/network/interfaces.d/multinic-${nic.iface}`,
      content: `${lines.join('\n')}\n`,
      mode: 0o644,
    });
  }
  return { files: [...files, ...renderCommonFiles(input)], notes: [] };
}
