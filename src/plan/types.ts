/** The data a plan is made of. A plan prints as `ip` commands and serialises to JSON. */
import type { Family, LinkKind, Mac, Note } from '../model/types.js';
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
  /** Destination prefix with its length (tier 1 of src/plan/local-paths.ts). */
  to?: string;
  /** 254 (main) for tier 2, else one of multinic's tables. */
  table: number;
  /** `suppress_prefixlength 0` (tier 2): a main-table default route does not count. */
  suppressPrefixlength?: number;
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
  /** physical, vlan or bond, as network_data.json has the link (absent for a physical one). */
  kind?: LinkKind;
  /** Addresses DHCP or SLAAC put there (persisting must not write them as static). */
  dynamic?: string[];
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
