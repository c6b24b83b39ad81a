/**
 * What the tables and rules should hold for the mapped NICs. Pure.
 *
 * Per NIC one table holding, for each of its addresses, the subnet route (with `src`,
 * so replies carry that address) and the default route via the network's gateway, plus
 * the network's host routes; and one rule per address, `from <addr> lookup <table>`.
 * IPv6 uses the same table number as IPv4 (the kernel keeps the families apart).
 */
import { cidrText, maxPrefix } from '../model/addresses.js';
import type { Nic, Note } from '../model/types.js';
import type { PlannedNic, RouteSpec, RoutingState, RuleSpec, State } from './types.js';

export function desiredRouting(nics: Nic[], state: State): { desired: RoutingState; planned: PlannedNic[]; notes: Note[] } {
  const routes: RouteSpec[] = [];
  const rules: RuleSpec[] = [];
  const planned: PlannedNic[] = [];
  const notes: Note[] = [];
  for (const nic of nics) {
    const allocation = state.allocations[nic.mac];
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
          const first = routes.find((route) => route.table === table && route.family === address.family && route.dst === 'default');
          if (first?.via !== address.gateway) {
            notes.push({
              level: 'warn',
              message: `${nic.iface} (${nic.mac}): IPv${address.family} gateways ${first?.via} and ${address.gateway} on one NIC; its table uses ${first?.via}`,
            });
          }
        }
        addRoute({ family: address.family, table, dst: 'default', via: address.gateway, dev: nic.iface });
      }
      for (const route of address.routes) {
        addRoute({ family: route.family, table, dst: cidrText(route.destination), via: route.gateway, dev: nic.iface });
      }
    }
    for (const address of nic.addresses) {
      rules.push({ family: address.family, priority, from: `${address.address}/${maxPrefix(address.family)}`, table });
    }
    planned.push({ mac: nic.mac, iface: nic.iface, table, priority, addresses: nic.addresses.map((address) => address.address) });
  }
  return { desired: { routes, rules }, planned, notes };
}
