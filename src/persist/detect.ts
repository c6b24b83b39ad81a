/**
 * Who owns the guest's network, from facts read under --root (owner-facts.ts). Pure.
 *
 * `detectOwner` (`--persist auto`) asks what configures the NICs, not what is installed:
 * /run/systemd/netif exists on every systemd system (tmpfiles makes it), networkd running
 * or not, so it proves nothing; Debian 12's cloud image has it and is configured by
 * ifupdown (issue 13). The evidence, strongest first: netplan's files (netplan renders for
 * networkd or NetworkManager, so its files win); a running NetworkManager; networkd's
 * per-link state files saying it configures a link; ifupdown's ifstate saying it brought a
 * NIC up; RHEL's ifcfg files; then, for an image tree that is not running, the
 * configuration alone: ifupdown stanzas for a NIC, an enabled networkd with .network files,
 * and last a bare /etc/network/interfaces.
 *
 * `ownerOfNic` asks the same of one NIC: does any network owner configure it? A NIC that
 * nobody configures (a port attached after cloud-init rendered the configuration at first
 * boot) gets its addresses from multinic itself (src/plan/addresses.ts).
 */
import { globToRegExp } from '../model/glob.js';
import type { OwnerFacts } from './owner-facts.js';
import type { Backend } from './types.js';

export type { OwnerFacts } from './owner-facts.js';

/** networkd's ADMIN_STATE values for a link it does not (or not yet, or no longer) configure: pending and initialized come before it has looked for a .network file, so only a matching file can say it will. */
const NOT_CONFIGURING = new Set(['unmanaged', 'linger', 'pending', 'initialized']);
const networkdConfigures = (link: { adminState?: string; networkFile?: string }) =>
  link.networkFile !== undefined || (link.adminState !== undefined && !NOT_CONFIGURING.has(link.adminState));

export function detectOwner(facts: OwnerFacts): { backend: Backend | 'none'; why: string } {
  if (facts.netplanYaml) return { backend: 'netplan', why: '/etc/netplan has configuration' };
  if (facts.networkManagerRunning)
    return { backend: 'networkmanager', why: 'NetworkManager is running (/run/NetworkManager)' };
  const configured = facts.networkd.links.filter(networkdConfigures);
  if (configured.length > 0) {
    return {
      backend: 'networkd',
      why: `systemd-networkd configures ${configured.length} link(s) (/run/systemd/netif/links: ${describeLinks(configured)})`,
    };
  }
  if (facts.ifupdown.up.length > 0)
    return { backend: 'ifupdown', why: `ifupdown brought up ${facts.ifupdown.up.join(', ')} (/run/network/ifstate)` };
  if (facts.ifcfg.length > 0) return { backend: 'ifcfg', why: '/etc/sysconfig/network-scripts has ifcfg files' };
  if (facts.ifupdown.stanzas.length > 0)
    return { backend: 'ifupdown', why: `/etc/network/interfaces configures ${facts.ifupdown.stanzas.join(', ')}` };
  if (facts.networkd.enabled && facts.networkd.files.length > 0) {
    return {
      backend: 'networkd',
      why: `systemd-networkd is enabled and has .network files (${facts.networkd.files.map((file) => file.path).join(', ')})`,
    };
  }
  if (facts.ifupdown.interfacesFile) return { backend: 'ifupdown', why: '/etc/network/interfaces exists' };
  return {
    backend: 'none',
    why: 'no network manager found: nothing written (the boot unit re-applies from the cache)',
  };
}

function describeLinks(links: { ifindex: number; adminState?: string }[]): string {
  return links.map((link) => `${link.ifindex} ${link.adminState ?? 'configured'}`).join(', ');
}

/** The NIC as the kernel has it: name, MAC and ifindex (networkd's state files are by ifindex). */
export interface NicIdentity {
  iface: string;
  mac?: string;
  index: number;
}

/**
 * Which owner configures this NIC, and the evidence, or undefined when none does. In doubt
 * it is the owner's: multinic must never put addresses on a NIC another tool configures.
 */
export function ownerOfNic(facts: OwnerFacts, nic: NicIdentity): { owner: string; why: string } | undefined {
  // NetworkManager configures every Ethernet NIC it sees, by default with an automatic
  // "Wired connection" (no-auto-default unset): a new NIC is its too.
  if (facts.networkManagerRunning)
    return { owner: 'NetworkManager', why: 'NetworkManager is running and configures every Ethernet NIC' };
  const link = facts.networkd.links.find((candidate) => candidate.ifindex === nic.index);
  if (link && networkdConfigures(link)) {
    return {
      owner: 'systemd-networkd',
      why: `/run/systemd/netif/links/${nic.index}: ${link.networkFile ? `NETWORK_FILE=${link.networkFile}` : `ADMIN_STATE=${link.adminState ?? 'configured'}`}`,
    };
  }
  // netplan's files become networkd's (or NetworkManager's) under /run at boot; an image
  // tree that is not running may have only the YAML, which multinic does not parse: every
  // NIC of such a tree counts as configured.
  // networkd has looked at the link and found no .network file for it: its word is final.
  const networkdDeclined = link?.adminState === 'unmanaged';
  if (!networkdDeclined && (facts.networkd.enabled || facts.networkd.links.length > 0 || facts.netplanYaml)) {
    const file = facts.networkd.files.find((candidate) => networkFileMatches(candidate, nic));
    if (file) return { owner: 'systemd-networkd', why: `${file.path} matches it` };
    if (facts.netplanYaml && facts.networkd.links.length === 0 && facts.networkd.files.length === 0) {
      return { owner: 'netplan', why: '/etc/netplan has configuration that was never rendered (not running)' };
    }
  }
  if (facts.ifupdown.up.includes(nic.iface))
    return { owner: 'ifupdown', why: `/run/network/ifstate: ${nic.iface} is up` };
  if (facts.ifupdown.stanzas.includes(nic.iface))
    return { owner: 'ifupdown', why: `/etc/network/interfaces configures ${nic.iface}` };
  const ifcfg = facts.ifcfg.find(
    (file) => file.device === nic.iface || (nic.mac !== undefined && file.mac === nic.mac),
  );
  if (ifcfg) return { owner: 'ifcfg', why: `${ifcfg.path} configures it` };
  return undefined;
}

/**
 * systemd.network(5) [Match]: every key given must match; Name= and MACAddress= take
 * shell globs and a leading "!" inverts the list. Keys this code does not evaluate (Type=,
 * Driver=, Path=, ...) are left out of the decision beside a Name= or MAC, which decide.
 * A file with neither matches by other properties or matches every link: the owner's, in
 * doubt, unless it is one of systemd's defaults for virtual links, containers or wifi.
 */
export function networkFileMatches(
  file: { names: string[]; macs: string[]; other?: string[] },
  nic: NicIdentity,
): boolean {
  if (file.names.length > 0 || file.macs.length > 0) {
    if (file.names.length > 0 && !matchList(file.names, nic.iface)) return false;
    if (file.macs.length > 0 && !(nic.mac !== undefined && matchList(file.macs, nic.mac))) return false;
    return true;
  }
  return !(file.other ?? []).some(
    (entry) => /^(Kind|Virtualization|WLANInterfaceType)=/.test(entry) || /^Type=(?!ether\b)/.test(entry),
  );
}

function matchList(patterns: string[], value: string): boolean {
  const invert = patterns[0]?.startsWith('!') === true;
  const list = invert ? [patterns[0]!.slice(1), ...patterns.slice(1)].filter(Boolean) : patterns;
  const hit = list.some((pattern) => globToRegExp(pattern).test(value));
  return invert ? !hit : hit;
}
