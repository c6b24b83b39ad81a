/**
 * What a run started right after interface-attach or -detach should wait for: NICs the
 * metadata lists that the guest does not have yet (Nova writes the metadata before the
 * hotplug reaches the guest), and, when asked, new NICs on the guest that the metadata
 * does not list yet (the reverse order). Pure.
 */
import type { Mapping, KernelInterface, Mac } from '../model/types.js';

export interface Pending {
  /** In network_data.json, not on the guest. */
  notOnGuest: { linkId: string; mac?: Mac }[];
  /** On the guest, with a MAC never seen before, not in network_data.json. */
  notInMetadata: { iface: string; mac: Mac }[];
  /** Addresses of the metadata not on their interface yet (a hotplugged NIC being configured). */
  addressesNotUp: { iface: string; address: string }[];
}

/**
 * A new NIC is an interface with a MAC no run has handed a table to, that is not enslaved
 * to a bond or bridge and is not itself a bridge, bond, VLAN or tunnel: hotplugged
 * virtio/SR-IOV NICs show no `info_kind` (veth stands in for them in tests).
 */
export function pendingNics(
  mapping: Mapping,
  interfaces: KernelInterface[],
  knownMacs: ReadonlySet<Mac>,
  includeUnlisted: boolean,
): Pending {
  const byName = new Map(interfaces.map((iface) => [iface.name, iface]));
  const notInMetadata = includeUnlisted
    ? mapping.unlisted.flatMap(({ iface, mac }) => {
        const kernel = byName.get(iface);
        if (!mac || !kernel || knownMacs.has(mac) || kernel.master) return [];
        if (kernel.kind !== undefined && kernel.kind !== 'veth') return [];
        return [{ iface, mac }];
      })
    : [];
  return { notOnGuest: mapping.missing, notInMetadata, addressesNotUp: mapping.absentAddresses };
}

export function describePending(pending: Pending): string[] {
  return [
    ...pending.notOnGuest.map(
      (nic) => `link ${nic.linkId}${nic.mac ? ` (${nic.mac})` : ''}: in network_data.json, not on the guest yet`,
    ),
    ...pending.notInMetadata.map((nic) => `${nic.iface} (${nic.mac}): on the guest, not in network_data.json yet`),
    ...pending.addressesNotUp.map(
      (entry) => `${entry.iface}: ${entry.address} from network_data.json is not on the interface yet`,
    ),
  ];
}

export function nothingPending(pending: Pending): boolean {
  return pending.notOnGuest.length === 0 && pending.notInMetadata.length === 0 && pending.addressesNotUp.length === 0;
}
