/** What the persisters render from, and what they render. */
import type { PlannedNic, RoutingState } from '../plan/types.js';
import type { NetplanDefinition } from './netplan-owner.js';
import type { SysctlSetting } from '../sysctl/plan-sysctl.js';

export interface PersistInput {
  nics: PlannedNic[];
  desired: RoutingState;
  /** The ARP and rp_filter settings, for /etc/sysctl.d (empty with --no-sysctl). */
  sysctl: SysctlSetting[];
  /** Facts about the image tree under --root that a backend needs (which files exist). */
  tree: TreeFacts;
  /**
   * NICs whose addresses multinic puts on itself (no owner configures them): nothing is
   * written for them, but their rules ride on an owned NIC's configuration where the owner
   * drops rules it does not know (common.ts, rulesHostedBy).
   */
  unowned?: PlannedNic[];
}

export interface TreeFacts {
  /** systemd-networkd .network files under the root, with what they match. */
  networkdFiles: { path: string; names: string[]; macs: string[] }[];
  /** NetworkManager keyfiles under the root, with what they match (and their text, to join multinic's routing to the owner's). */
  nmConnections: NmConnectionFacts[];
  /** The definitions of the owner's netplan files (not multinic's), for their types and IDs. */
  netplanDefinitions?: NetplanDefinition[];
  /** Whether /etc/iproute2/rt_protos.d and rt_tables.d exist. */
  rtProtosDir: boolean;
  rtTablesDir: boolean;
}

export interface NmConnectionFacts {
  path: string;
  interfaceName?: string;
  mac?: string;
  /** connection.type: ethernet, bond, vlan, ... */
  type?: string;
  /** A bond's (or bridge's) port: `master=`/`controller=`; NM gives it no IP configuration. */
  port?: boolean;
  text?: string;
}

export interface RenderedFile {
  /** Absolute path inside the root, e.g. /etc/netplan/90-multinic.yaml. */
  path: string;
  content: string;
  mode: number;
  /**
   * Set when the file is the owner's (not multinic's) with multinic's marked additions, or
   * with them taken back: `base` is the owner's file as it was read, so the writer
   * writes only over that exact content; `ours` says whether the new content holds any.
   */
  join?: { base: string; ours: boolean };
}

export interface Rendered {
  files: RenderedFile[];
  /** What the backend could not persist, and why (e.g. a NIC no .network file matches). */
  notes: string[];
}

export type Backend = 'netplan' | 'networkd' | 'ifupdown' | 'ifcfg' | 'networkmanager';
export const BACKENDS: Backend[] = ['netplan', 'networkd', 'ifupdown', 'ifcfg', 'networkmanager'];
