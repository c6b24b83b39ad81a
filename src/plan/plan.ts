/**
 * plan(desired NICs, the routing multinic owns now, state) → Plan. Pure: no I/O, no clock, no randomness.
 * The state (tables already handed out) is passed in, never read from disk here.
 */
import type { Mac, Mapping, Note } from '../model/types.js';
import { isOurTable } from './local-paths.js';
import { allocateTables, allocationKey } from './allocate.js';
import { desiredRouting } from './desired.js';
import { diffRouting } from './diff.js';
import { planSysctls, type LiveSysctls, type SysctlOriginals, type SysctlValues } from '../sysctl/plan-sysctl.js';
import type { Plan, RoutingState, State } from './types.js';
import type { TableRange } from './allocate.js';

export interface PlanInput {
  mapping: Mapping;
  /** The routes and rules in the kernel now that carry multinic's tag: all it may remove. */
  owned: RoutingState;
  /** Untagged routes and rules that are live (never removed, not added twice). */
  foreign?: RoutingState;
  state: State;
  /**
   * Live per-interface sysctls, the values to put back (by MAC), each MAC's interface now
   * (to find released NICs) and the values to set; absent: leave sysctls alone.
   */
  sysctls?: {
    live: LiveSysctls;
    originals: SysctlOriginals;
    ifaceOf?: ReadonlyMap<Mac, string>;
    wanted?: SysctlValues;
  };
  /** Table numbers new NICs get (MULTINIC_TABLES); absent: the documented 10001-12000. */
  tables?: TableRange;
}

export function plan({ mapping, owned, foreign, state, sysctls, tables }: PlanInput): Plan {
  const tablesInUse = new Set([...owned.routes.map((route) => route.table), ...owned.rules.map((rule) => rule.table)]);
  const allocationNotes: Note[] = [];
  const nextState = allocateTables(
    state,
    mapping.nics.map((nic) => ({ mac: allocationKey(nic, mapping.nics), iface: nic.iface })),
    tablesInUse,
    occupiedTables(foreign),
    allocationNotes,
    tables,
  );
  const { desired, planned, notes: desiredNotes } = desiredRouting(mapping.nics, nextState);
  const notes = [...allocationNotes, ...desiredNotes];
  return {
    nics: planned,
    desired,
    changes: diffRouting(desired, owned, foreign),
    state: nextState,
    sysctl: sysctls
      ? planSysctls(
          planned.map((nic) => ({ mac: nic.mac, iface: nic.iface })),
          sysctls.live,
          sysctls.originals,
          sysctls.ifaceOf,
          sysctls.wanted,
        )
      : { set: [], desired: [], originals: {} },
    notes: [...mapping.notes, ...notes],
  };
}

/** Tables of multinic's range that hold someone else's routes or rules, with the first such object. */
export function occupiedTables(foreign: RoutingState | undefined): Map<number, string> {
  const occupied = new Map<number, string>();
  for (const route of foreign?.routes ?? []) {
    if (isOurTable(route.table) && !occupied.has(route.table))
      occupied.set(route.table, `a route to ${route.dst}${route.via ? ` via ${route.via}` : ''} dev ${route.dev}`);
  }
  for (const rule of foreign?.rules ?? []) {
    if (isOurTable(rule.table) && !occupied.has(rule.table))
      occupied.set(rule.table, `a rule from ${rule.from} at priority ${rule.priority}`);
  }
  return occupied;
}
