/**
 * The state, completed from what the kernel shows: rebuilt whole when state.json is missing
 * or damaged (a truncated file, a deleted one), and for NICs it does not list yet when a
 * run was killed between its batch and its state write. Every rule multinic adds is tagged
 * with its protocol and names its table; the address it is `from` belongs to an interface,
 * and that interface's MAC is the NIC's identity. So each NIC keeps the table it has:
 * nothing is renumbered, no rule deleted and added again. Pure.
 */
import { addressPart, canonicalAddress } from '../model/addresses.js';
import type { KernelInterface, Mac } from '../model/types.js';
import { emptyState, SLOT_COUNT, slotNumbers, TABLE_BASE } from '../plan/allocate.js';
import type { Allocation, PlannedNic, RoutingState, State } from '../plan/types.js';

/**
 * The NICs to check when there is no record of the last apply (missing or damaged): the
 * state's attached NICs, each with the addresses its table's tagged rules are from.
 */
export function nicsFromState(state: State, owned: RoutingState): PlannedNic[] {
  return Object.entries(state.allocations)
    .filter(([, allocation]) => allocation.attached && allocation.iface)
    .map(([mac, allocation]) => ({
      mac,
      iface: allocation.iface!,
      table: allocation.table,
      priority: allocation.priority,
      addresses: [
        ...new Set(owned.rules.filter((rule) => rule.table === allocation.table).map((rule) => addressPart(rule.from))),
      ],
    }));
}

export function rebuildState(owned: RoutingState, interfaces: KernelInterface[]): State {
  return adoptTaggedTables(emptyState(), owned, interfaces);
}

/** `state` with every MAC it does not know given the table its tagged rules use, where no other MAC holds it. */
export function adoptTaggedTables(state: State, owned: RoutingState, interfaces: KernelInterface[]): State {
  const macOfAddress = new Map<string, { mac: Mac; iface: string }>();
  const macOfIface = new Map<string, Mac>();
  for (const iface of interfaces) {
    if (!iface.mac) continue;
    macOfIface.set(iface.name, iface.mac);
    for (const address of iface.addresses)
      macOfAddress.set(canonicalAddress(address.address), { mac: iface.mac, iface: iface.name });
  }
  const allocations: Record<Mac, Allocation> = { ...state.allocations };
  const tablesTaken = new Set(Object.values(state.allocations).map((allocation) => allocation.table));
  // The slot follows from the table, and the priorities of the three rule tiers from the
  // slot (plan/local-paths.ts): a rule's own priority may be any tier's, so it is not used.
  const claim = (mac: Mac, iface: string, table: number) => {
    if (allocations[mac] || tablesTaken.has(table)) return; // one table per MAC, one MAC per table
    if (table <= TABLE_BASE || table > TABLE_BASE + SLOT_COUNT) return; // not one multinic hands out (the main table, 254, of tier 2 among them)
    tablesTaken.add(table);
    allocations[mac] = { ...slotNumbers(table - TABLE_BASE), iface, attached: true };
  };
  // Rules first: they name the address, and so the NIC.
  for (const rule of [...owned.rules].sort((a, b) => a.table - b.table)) {
    const owner = macOfAddress.get(canonicalAddress(addressPart(rule.from)));
    if (owner) claim(owner.mac, owner.iface, rule.table);
  }
  // A table with routes but no rule left (a run killed between the two): its routes name the device.
  for (const route of [...owned.routes].sort((a, b) => a.table - b.table)) {
    const mac = macOfIface.get(route.dev);
    if (mac) claim(mac, route.dev, route.table);
  }
  return { version: 1, allocations };
}
