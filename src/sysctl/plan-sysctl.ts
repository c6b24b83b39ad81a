/**
 * ARP flux and reverse-path filtering, per managed interface. Pure.
 *
 * With several NICs on one subnet Linux answers ARP for any local address on any NIC
 * (arp_ignore=0) and may announce an address from the wrong NIC (arp_announce=0); a
 * router then learns the wrong MAC and port security drops the traffic. Strict rp_filter
 * (1) drops exactly the asymmetric traffic policy routing is meant to allow. So on the
 * interfaces multinic manages, and only there (never `all`):
 *   arp_ignore=1   answer ARP only for addresses on the receiving interface
 *   arp_announce=2 use the outgoing interface's own address in ARP requests
 *   rp_filter=2    loose reverse-path filtering
 * The kernel takes the maximum of `all` and the interface for each of these
 * (Documentation/networking/ip-sysctl.rst), so raising the interface value is enough.
 */
import type { Mac } from '../model/types.js';

export const MANAGED_SYSCTLS = { arp_ignore: '1', arp_announce: '2', rp_filter: '2' } as const;
export type SysctlKey = keyof typeof MANAGED_SYSCTLS;
/** The values to set (MULTINIC_ARP_IGNORE, MULTINIC_ARP_ANNOUNCE, MULTINIC_RP_FILTER). */
export type SysctlValues = Record<SysctlKey, string>;
export const SYSCTL_KEYS = Object.keys(MANAGED_SYSCTLS) as SysctlKey[];

export interface SysctlSetting {
  iface: string;
  key: SysctlKey;
  value: string;
}

/**
 * Values the kernel had before multinic changed them, per NIC by MAC (its identity
 * everywhere else): a NIC renamed since keeps what is to be put back when it is released.
 */
export type SysctlOriginals = Record<Mac, Partial<Record<SysctlKey, string>>>;

/** The live values per interface name; an interface that is gone is absent. */
export type LiveSysctls = Map<string, Partial<Record<SysctlKey, string>>>;

export interface SysctlPlan {
  /** What to write now (new values for managed NICs, old values for released ones). */
  set: SysctlSetting[];
  /** Every managed interface's wanted values, for the sysctl.d file. */
  desired: SysctlSetting[];
  originals: SysctlOriginals;
}

/**
 * `managed`: the NICs to manage; `ifaceOf`: the interface each MAC on the guest has now, to
 * find released NICs (which the plan does not list) under whatever name they have today;
 * `wantedValues`: the values to set (multinic.conf), by default the documented ones.
 */
export function planSysctls(
  managed: { mac: Mac; iface: string }[],
  live: LiveSysctls,
  originals: SysctlOriginals,
  ifaceOf: ReadonlyMap<Mac, string> = new Map(),
  wantedValues: SysctlValues = MANAGED_SYSCTLS,
): SysctlPlan {
  const set: SysctlSetting[] = [];
  const desired: SysctlSetting[] = [];
  const next: SysctlOriginals = {};
  const managedMacs = new Set(managed.map((nic) => nic.mac));
  for (const { mac, iface } of managed) {
    const values = live.get(iface);
    if (!values) continue;
    const kept = { ...(originals[mac] ?? {}) };
    for (const key of SYSCTL_KEYS) {
      const wanted = wantedValues[key];
      desired.push({ iface, key, value: wanted });
      const current = values[key];
      if (current === undefined || current === wanted) continue;
      kept[key] ??= current; // the first value we saw is the one to put back
      set.push({ iface, key, value: wanted });
    }
    if (Object.keys(kept).length > 0) next[mac] = kept;
  }
  // Released NICs that are still on the guest get their old values back, unless someone
  // changed them since (then the value is theirs, not ours).
  for (const [mac, saved] of Object.entries(originals)) {
    if (managedMacs.has(mac)) continue;
    const iface = ifaceOf.get(mac);
    const values = iface === undefined ? undefined : live.get(iface);
    if (!iface || !values) continue;
    for (const key of SYSCTL_KEYS) {
      const old = saved[key];
      if (old !== undefined && values[key] === wantedValues[key]) set.push({ iface, key, value: old });
    }
  }
  return { set, desired, originals: next };
}

/** The sysctl name; interface names with dots (VLANs) need the slash form. */
export function sysctlName(setting: Pick<SysctlSetting, 'iface' | 'key'>): string {
  return setting.iface.includes('.')
    ? `net/ipv4/conf/${setting.iface}/${setting.key}`
    : `net.ipv4.conf.${setting.iface}.${setting.key}`;
}

export function toSysctlCommands(settings: SysctlSetting[]): string[] {
  return settings.map((setting) => `sysctl -w ${sysctlName(setting)}=${setting.value}`);
}
