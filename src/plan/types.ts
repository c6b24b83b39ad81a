/** The data a plan is made of. A plan prints as `ip` commands and serialises to JSON. */
import type { Family, Mac, Note } from '../model/types.js';
import type { SysctlPlan } from '../sysctl/plan-sysctl.js';

/** One route in one of multinic's tables. `dst` is a CIDR or `default`. */
export interface RouteSpec {
  family: Family;
  table: number;
  dst: string;
  via?: string;
  dev: string;
  src?: string;
  /** `link` for on-link subnet routes (IPv4 only: the kernel has no scope for IPv6). */
  scope?: 'link';
}

export interface RuleSpec {
  family: Family;
  priority: number;
  /** Source prefix, always with its length: 203.0.113.22/32, 2001:db8::5/128. */
  from: string;
  table: number;
}

export interface RoutingState {
  routes: RouteSpec[];
  rules: RuleSpec[];
}

/** The table and priority handed to one MAC; kept across runs in the state file. */
export interface Allocation {
  slot: number;
  table: number;
  priority: number;
  /** The interface it was last seen on, for messages. */
  iface?: string;
  /** False once the NIC left the guest or the metadata; the slot stays reserved for it. */
  attached: boolean;
}

export interface State {
  version: 1;
  allocations: Record<Mac, Allocation>;
}

export interface PlannedNic {
  mac: Mac;
  iface: string;
  table: number;
  priority: number;
  addresses: string[];
}

export interface Changes {
  add: RoutingState;
  remove: RoutingState;
}

export interface Plan {
  nics: PlannedNic[];
  /** What multinic's tables and rules should hold once applied. */
  desired: RoutingState;
  changes: Changes;
  /** The state to write once the plan is applied. */
  state: State;
  /** ARP and rp_filter settings of the managed interfaces (empty with --no-sysctl). */
  sysctl: SysctlPlan;
  notes: Note[];
}
