/** Files every backend writes alongside its own: sysctl.d, and iproute2 names. Pure. */
import { MULTINIC_PROTOCOL, MULTINIC_PROTOCOL_NAME } from '../plan/ip-commands.js';
import { tierPriority } from '../plan/local-paths.js';
import type { RouteSpec, RuleSpec } from '../plan/types.js';
import { renderSysctlConf, SYSCTL_CONF_PATH } from '../sysctl/render-conf.js';
import { headerLines } from './header.js';
import type { PersistInput, RenderedFile } from './types.js';

export function renderCommonFiles(input: PersistInput): RenderedFile[] {
  const files: RenderedFile[] = [];
  if (input.sysctl.length > 0)
    files.push({ path: SYSCTL_CONF_PATH, content: renderSysctlConf(input.sysctl), mode: 0o644 });
  if (input.tree.rtProtosDir) {
    files.push({
      path: '/etc/iproute2/rt_protos.d/multinic.conf',
      content: `${headerLines()}\n${MULTINIC_PROTOCOL}\t${MULTINIC_PROTOCOL_NAME}\n`,
      mode: 0o644,
    });
  }
  if (input.tree.rtTablesDir && input.nics.length > 0) {
    const lines = [...input.nics].sort((a, b) => a.table - b.table).map((nic) => `${nic.table}\tmultinic-${nic.iface}`);
    files.push({
      path: '/etc/iproute2/rt_tables.d/multinic.conf',
      content: `${headerLines()}\n${lines.join('\n')}\n`,
      mode: 0o644,
    });
  }
  return files;
}

/**
 * The routes of one NIC's table, in the order the kernel needs them, and the rules of its
 * addresses (the three tiers of src/plan/local-paths.ts, in priority order).
 */
export function routingOf(
  input: PersistInput,
  nic: { table: number; priority: number },
): { routes: RouteSpec[]; rules: RuleSpec[] } {
  const priorities = new Set([
    tierPriority(nic.priority, 'to'),
    tierPriority(nic.priority, 'main'),
    tierPriority(nic.priority, 'from'),
  ]);
  return {
    routes: input.desired.routes.filter((route) => route.table === nic.table),
    rules: input.desired.rules.filter((rule) => priorities.has(rule.priority)).sort((a, b) => a.priority - b.priority),
  };
}

/**
 * The rules of the NICs no owner configures (input.unowned), for the first NIC a backend
 * writes configuration for. networkd removes routing policy rules that no .network file
 * asks for when it configures a link (ManageForeignRoutingPolicyRules=yes, its default),
 * so after a `networkctl reload` an attached port that multinic configures would keep its
 * addresses and routes (networkd leaves an unmanaged link alone) but lose its rules and
 * answer nothing (found by the VM suite, issue 13, scenario 7). Rules are not tied to a
 * link, so any managed link's file can ask for them; the NIC's own routes need no help.
 */
export function rulesHostedBy(input: PersistInput): RuleSpec[] {
  return (input.unowned ?? []).flatMap((nic) => routingOf(input, nic).rules);
}

export function sortedNics(input: PersistInput) {
  return [...input.nics].sort((a, b) => a.iface.localeCompare(b.iface));
}
