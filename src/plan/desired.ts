/**
 * What the tables and rules should hold for the mapped NICs. Pure.
 *
 * Per NIC one table holding, for each of its addresses, the subnet route (with `src`,
 * so replies carry that address) and the default route via the network's gateway, plus
 * the network's host routes; and three rules per address (src/plan/local-paths.ts): to
 * the managed prefixes through the table, then the main table's specific routes, then
 * everything else through the table.
 * IPv6 uses the same table number as IPv4 (the kernel keeps the families apart).
 */
import { cidrText, maxPrefix } from '../model/addresses.js';
import type { Nic, Note } from '../model/types.js';
import { allocationKey } from './allocate.js';
import { MAIN_TABLE, managedPrefixes, tierPriority } from './local-paths.js';
import type { PlannedNic, RouteSpec, RoutingState, RuleSpec, State } from './types.js';

export function desiredRouting(
  nics: Nic[],
  state: State,
): { desired: RoutingState; planned: PlannedNic[]; notes: Note[] } {
  const routes: RouteSpec[] = [];
  const rules: RuleSpec[] = [];
  const planned: PlannedNic[] = [];
  const notes: Note[] = [];
  for (const nic of nics) {
    const allocation = state.allocations[allocationKey(nic, nics)];
    if (!allocation) throw new Error(`internal: no table allocated for ${nic.iface} (${nic.mac})`);
    const { table, priority } = allocation;
    const keys = new Set<string>();
    const addRoute = (route: RouteSpec) => {
      const key = `${route.family} ${route.dst}`; // one route per destination in a table
      if (keys.has(key)) return;
      keys.add(key);
      routes.push(route);
    };
    for (const address of nic.addresses) {
      addRoute({
        family: address.family,
        table,
        dst: cidrText(address.subnet),
        dev: nic.iface,
        src: address.address,
        ...(address.family === 4 ? { scope: 'link' as const } : {}),
      });
    }
    // Default and host routes after every subnet route, so a gateway is on-link by then.
    for (const address of nic.addresses) {
      if (address.gateway) {
        if (keys.has(`${address.family} default`)) {
          const first = routes.find(
            (route) => route.table === table && route.family === address.family && route.dst === 'default',
          );
          if (first?.via !== address.gateway) {
            notes.push({
              level: 'warn',
              message: `${nic.iface} (${nic.mac}): IPv${address.family} gateways ${first?.via ?? 'none'} and ${address.gateway} on one NIC; its table uses ${first?.via ?? 'none'}`,
            });
          }
        }
        addRoute({ family: address.family, table, dst: 'default', via: address.gateway, dev: nic.iface });
      }
      for (const route of address.routes) {
        addRoute({ family: route.family, table, dst: cidrText(route.destination), via: route.gateway, dev: nic.iface });
      }
    }
    const dynamic = nic.addresses.filter((address) => address.origin === 'kernel').map((address) => address.address);
    planned.push({
      mac: nic.mac,
      iface: nic.iface,
      table,
      priority,
      addresses: nic.addresses.map((address) => address.address),
      ...(nic.kind && nic.kind !== 'physical' ? { kind: nic.kind } : {}),
      ...(dynamic.length > 0 ? { dynamic } : {}),
    });
  }
  // The rules last: tier 1 needs every table's prefixes (src/plan/local-paths.ts).
  const prefixes = { 4: managedPrefixes(routes, 4), 6: managedPrefixes(routes, 6) };
  planned.forEach(({ table, priority }, index) => {
    for (const address of nics[index]?.addresses ?? []) {
      const from = `${address.address}/${maxPrefix(address.family)}`;
      const family = address.family;
      for (const to of prefixes[family])
        rules.push({ family, priority: tierPriority(priority, 'to'), from, to, table });
      rules.push({
        family,
        priority: tierPriority(priority, 'main'),
        from,
        table: MAIN_TABLE,
        suppressPrefixlength: 0,
      });
      rules.push({ family, priority: tierPriority(priority, 'from'), from, table });
    }
  });
  return { desired: { routes, rules }, planned, notes };
}
