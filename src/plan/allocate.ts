/**
 * Table numbers and rule priorities, handed out per MAC and kept in the state file so a
 * NIC keeps its table across runs, attach and detach. Pure.
 *
 * The documented range: slot n (1..SLOT_COUNT) uses table TABLE_BASE + n and rule
 * priority PRIORITY_BASE + n, i.e. tables and priorities 10001-12000. Priorities stay
 * below 32766, where the kernel's `lookup main` rule sits, so our rules are consulted first.
 */
import type { Mac, Note } from '../model/types.js';
import type { Allocation, State } from './types.js';

export const TABLE_BASE = 10000;
export const PRIORITY_BASE = 10000;
export const SLOT_COUNT = 2000;

export function emptyState(): State {
  return { version: 1, allocations: {} };
}

/** Table numbers new NICs may get (MULTINIC_TABLES); a NIC keeps a table it already has. */
export interface TableRange {
  first: number;
  last: number;
}

export const DEFAULT_TABLES: TableRange = { first: TABLE_BASE + 1, last: TABLE_BASE + SLOT_COUNT };

/**
 * The key of a NIC's table in the state: its MAC, except for a VLAN that shares its MAC
 * with another managed NIC. A VLAN device inherits its parent's MAC, and Nova and Ironic
 * write that MAC as vlan_mac_address (port security allows the port one MAC), so a bond
 * and the VLAN on it, both with addresses, would otherwise share one table and its
 * default route. Such a VLAN's table is kept under `<mac>@<interface>`.
 */
export function allocationKey(
  nic: { mac: Mac; iface: string; kind?: string },
  nics: readonly { mac: Mac; iface: string }[],
): string {
  if (nic.kind === 'vlan' && nics.some((other) => other.iface !== nic.iface && other.mac === nic.mac))
    return `${nic.mac}@${nic.iface}`;
  return nic.mac;
}

export interface AllocationRequest {
  mac: Mac;
  iface: string;
}

/**
 * Returns the new state: known MACs keep their slot, new MACs get the lowest slot never
 * used; when none is left, the slot of a detached NIC whose objects are gone
 * (`tablesInUse` does not hold its table) is given away.
 */
export function allocateTables(
  state: State,
  wanted: AllocationRequest[],
  tablesInUse: ReadonlySet<number>,
  /** Tables that hold someone else's routes or rules, and what: never handed out (issue 14). */
  occupied: ReadonlyMap<number, string> = new Map(),
  notes: Note[] = [],
  range: TableRange = DEFAULT_TABLES,
): State {
  const allocations: Record<Mac, Allocation> = {};
  const wantedMacs = new Set(wanted.map((request) => request.mac));
  for (const [mac, allocation] of Object.entries(state.allocations)) {
    allocations[mac] = { ...allocation, attached: wantedMacs.has(mac) };
  }
  for (const request of wanted) {
    const known = allocations[request.mac];
    if (known) {
      allocations[request.mac] = { ...known, iface: request.iface, attached: true };
      continue;
    }
    const slot = freeSlot(allocations, tablesInUse, occupied, request, notes, range);
    allocations[request.mac] = { ...slotNumbers(slot), iface: request.iface, attached: true };
  }
  return { version: 1, allocations };
}

export function slotNumbers(slot: number): Pick<Allocation, 'slot' | 'table' | 'priority'> {
  return { slot, table: TABLE_BASE + slot, priority: PRIORITY_BASE + slot };
}

function freeSlot(
  allocations: Record<Mac, Allocation>,
  tablesInUse: ReadonlySet<number>,
  occupied: ReadonlyMap<number, string>,
  request: AllocationRequest,
  notes: Note[],
  range: TableRange,
): number {
  const taken = new Set(Object.values(allocations).map((allocation) => allocation.slot));
  const [firstSlot, lastSlot] = [range.first - TABLE_BASE, range.last - TABLE_BASE];
  for (let slot = firstSlot; slot <= lastSlot; slot++) {
    if (taken.has(slot) || tablesInUse.has(TABLE_BASE + slot)) continue;
    const why = occupied.get(TABLE_BASE + slot);
    if (why !== undefined) {
      notes.push({
        level: 'warn',
        message: `table ${TABLE_BASE + slot} skipped for ${request.iface} (${request.mac}): it holds ${why}, which multinic did not make`,
      });
      continue;
    }
    return slot;
  }
  // Every slot was handed out once: reuse a detached NIC's, once its objects are gone.
  const reusable = Object.entries(allocations)
    .filter(
      ([, allocation]) =>
        !allocation.attached &&
        !tablesInUse.has(allocation.table) &&
        !occupied.has(allocation.table) &&
        allocation.slot >= firstSlot &&
        allocation.slot <= lastSlot,
    )
    .sort(([, a], [, b]) => a.slot - b.slot)[0];
  if (!reusable)
    throw new RangeError(`all ${lastSlot - firstSlot + 1} routing tables of ${range.first}-${range.last} are in use`);
  const [mac, allocation] = reusable;
  // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- allocations is the state file's record keyed by MAC, not an object of fixed shape
  delete allocations[mac];
  return allocation.slot;
}
