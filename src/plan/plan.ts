/**
 * plan(desired NICs, live routing, state) → Plan. Pure: no I/O, no clock, no randomness.
 * The state (tables already handed out) is passed in, never read from disk here.
 */
import type { Mac, Mapping } from '../model/types.js';
import { allocateTables } from './allocate.js';
import { desiredRouting } from './desired.js';
import { diffRouting } from './diff.js';
import { planSysctls, type LiveSysctls, type SysctlOriginals, type SysctlValues } from '../sysctl/plan-sysctl.js';
import type { Plan, RoutingState, State } from './types.js';
import type { TableRange } from './allocate.js';

export interface PlanInput {
  mapping: Mapping;
  /** The routes and rules multinic owns that are live now. */
  live: RoutingState;
  /** Untagged routes and rules that are live (never removed, not added twice). */
  foreign?: RoutingState;
  state: State;
  /**
   * Live per-interface sysctls, the values to put back (by MAC), each MAC's interface now
   * (to find released NICs) and the values to set; absent: leave sysctls alone.
   */
  sysctls?: { live: LiveSysctls; originals: SysctlOriginals; ifaceOf?: ReadonlyMap<Mac, string>; wanted?: SysctlValues };
  /** Table numbers new NICs get (MULTINIC_TABLES); absent: the documented 10001-12000. */
  tables?: TableRange;
}

export function plan({ mapping, live, foreign, state, sysctls, tables }: PlanInput): Plan {
  const tablesInUse = new Set([...live.routes.map((route) => route.table), ...live.rules.map((rule) => rule.table)]);
  const nextState = allocateTables(
    state,
    mapping.nics.map((nic) => ({ mac: nic.mac, iface: nic.iface })),
    tablesInUse,
    tables,
  );
  const { desired, planned, notes } = desiredRouting(mapping.nics, nextState);
  return {
    nics: planned,
    desired,
    changes: diffRouting(desired, live, foreign),
    state: nextState,
    sysctl: sysctls
      ? planSysctls(planned.map((nic) => ({ mac: nic.mac, iface: nic.iface })), sysctls.live, sysctls.originals, sysctls.ifaceOf, sysctls.wanted)
      : { set: [], desired: [], originals: {} },
    notes: [...mapping.notes, ...notes],
  };
}
