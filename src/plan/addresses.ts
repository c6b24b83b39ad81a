/**
 * Addresses for NICs that no network owner configures. Pure.
 *
 * After interface-attach, a guest whose network configuration cloud-init rendered once, at
 * first boot, has nobody to put the new port's addresses on: ifupdown's and netplan's
 * files never name it, and cloud-init's hotplug is off by default (issue 13). multinic
 * puts on the static addresses network_data.json gives such a NIC, brings it up, and
 * records exactly what it added, so that it takes back exactly that when the port goes
 * from the metadata, and only that. A NIC that an owner configures is never touched; if an
 * owner starts configuring a NIC multinic configured, multinic forgets its record and
 * leaves the addresses to the owner (who would put the same ones on). DHCP-typed networks
 * are left to the owner (multinic runs no DHCP client): said, not done. SLAAC needs only the
 * link up, which the kernel then does by itself. Only a NIC that is down (nobody brought it
 * up) or that multinic configured before is taken: one that is up is being configured.
 *
 * Why not write the owner's configuration instead (amazon-ec2-net-utils writes a networkd
 * file and reloads networkd; cloud-init's hotplug re-renders everything): one way for every
 * owner, no reload that reconfigures the NICs already working, and no second owner for a
 * NIC; the boot unit puts the addresses back from the cached document at every boot, before
 * network-online.target (README: "Attach and detach").
 */
import { cidrText } from '../model/addresses.js';
import type { AddressSource, Family, KernelInterface, Mac, NetworkData, Note } from '../model/types.js';

export interface OwnAddress {
  family: Family;
  address: string;
  prefix: number;
}

/** What multinic put on a NIC that nobody else configures (state dir, addresses.json). */
export interface AddressRecordEntry {
  mac: Mac;
  iface: string;
  addresses: OwnAddress[];
  /** multinic set the link up (it was down): set it down again when the port goes. */
  linkUp: boolean;
}

export interface AddressRecord {
  nics: AddressRecordEntry[];
}

export interface AddressChange extends OwnAddress {
  iface: string;
}

export interface AddressPlan {
  /** `ip link set dev X up`, before the addresses. */
  up: string[];
  add: AddressChange[];
  remove: AddressChange[];
  /** `ip link set dev X down`, after the removals: links multinic brought up for a port that went. */
  down: string[];
  /** The record once the plan is applied. */
  record: AddressRecord;
  notes: Note[];
}

export const EMPTY_RECORD: AddressRecord = { nics: [] };

/** Whether an owner configures the NIC; from persist/detect.ts's ownerOfNic. */
export type OwnerOf = (nic: KernelInterface) => { owner: string; why: string } | undefined;

/**
 * `data` is the document of this run; `interfaces` the kernel's; `record` what earlier runs
 * added. Only plain NICs matched by MAC are candidates: a VLAN or bond carries a
 * configuration someone wrote for it, so it always has an owner.
 */
export function planAddresses(
  data: NetworkData,
  interfaces: KernelInterface[],
  record: AddressRecord,
  ownerOf: OwnerOf,
): AddressPlan {
  const plan: AddressPlan = { up: [], add: [], remove: [], down: [], record: { nics: [] }, notes: [] };
  const byMac = new Map<Mac, KernelInterface>();
  for (const iface of interfaces) {
    if (
      iface.mac &&
      !iface.loopback &&
      !iface.master &&
      (iface.kind === undefined || iface.kind === 'veth') &&
      !byMac.has(iface.mac)
    )
      byMac.set(iface.mac, iface);
  }
  const previous = new Map(record.nics.map((entry) => [entry.mac, entry]));
  const listed = new Set<Mac>();

  for (const link of data.links) {
    if (link.kind !== 'physical' || !link.mac) continue;
    const networks = data.networks.filter((network) => network.linkId === link.id);
    if (networks.length === 0) continue;
    const iface = byMac.get(link.mac);
    if (!iface) continue; // not on the guest (yet): the wait and the mapping say so
    listed.add(link.mac);
    const before = previous.get(link.mac);
    const label = `${iface.name} (${link.mac})`;
    // Global addresses nobody recorded as multinic's: someone configured the NIC (by hand,
    // or a tool the owner detection does not know). Then it is theirs.
    const recorded = new Set((before?.addresses ?? []).map(key));
    const foreign = iface.addresses.find((live) => live.scope === 'global' && !recorded.has(key(live)));
    // Up, and not by multinic: someone is configuring it (an ifup or a DHCP client under way,
    // a helper that writes a stanza on hotplug). A port nobody configures stays down.
    const broughtUp =
      iface.up && !before ? { owner: 'someone else', why: 'it is up and multinic did not bring it up' } : undefined;
    const owner =
      ownerOf(iface) ??
      (foreign
        ? { owner: 'someone else', why: `it has ${cidrText(foreign)}, which multinic did not put on` }
        : broughtUp);
    if (owner) {
      if (before)
        plan.notes.push({
          level: 'info',
          message: `${label}: now configured by ${owner.owner} (${owner.why}); its addresses are the owner's from now on`,
        });
      continue;
    }
    const wanted: OwnAddress[] = networks.flatMap((network) =>
      network.source === 'static' && network.address
        ? [{ family: network.family, address: network.address.address, prefix: network.address.prefix }]
        : [],
    );
    for (const network of networks.filter((candidate) => isLeased(candidate.source))) {
      plan.notes.push({
        level: 'warn',
        message: `${label}: network ${network.id} is ${network.source} and no network owner configures ${iface.name}: multinic runs no DHCP client, so it has no address from it (configure ${iface.name} in the network manager's configuration)`,
      });
    }
    const has = (address: OwnAddress) =>
      iface.addresses.some((live) => live.address === address.address && live.prefix === address.prefix);
    const ours = new Map((before?.addresses ?? []).map((address) => [key(address), address]));
    const kept: OwnAddress[] = [];
    for (const address of wanted) {
      if (!has(address)) {
        plan.add.push({ iface: iface.name, ...address });
        kept.push(address);
      } else if (ours.has(key(address))) kept.push(address); // put on by an earlier run: still ours
      ours.delete(key(address));
    }
    // Added by an earlier run, no longer in the metadata (the port's address changed).
    for (const address of ours.values()) if (has(address)) plan.remove.push({ iface: iface.name, ...address });
    const linkUp = !iface.up || before?.linkUp === true;
    if (!iface.up) plan.up.push(iface.name);
    if (kept.length > 0 || linkUp) plan.record.nics.push({ mac: link.mac, iface: iface.name, addresses: kept, linkUp });
    if (plan.add.some((change) => change.iface === iface.name)) {
      plan.notes.push({
        level: 'info',
        message: `${label}: no network owner configures it: multinic puts on ${kept.map(cidrText).join(', ')} from network_data.json`,
      });
    }
  }

  // Ports gone from the metadata: take back what was added, from a NIC still on the guest.
  // A NIC gone from the guest took its addresses with it.
  for (const entry of record.nics) {
    if (listed.has(entry.mac)) continue;
    const iface = byMac.get(entry.mac);
    if (!iface) continue;
    for (const address of entry.addresses) {
      if (iface.addresses.some((live) => live.address === address.address && live.prefix === address.prefix))
        plan.remove.push({ iface: iface.name, ...address });
    }
    if (entry.linkUp && iface.up) plan.down.push(iface.name);
    plan.notes.push({
      level: 'info',
      message: `${iface.name} (${entry.mac}): no longer in network_data.json: multinic takes back the addresses it put on`,
    });
  }
  return plan;
}

function isLeased(source: AddressSource): boolean {
  return source === 'dhcp' || source === 'dhcpv6-stateful';
}

const key = (address: OwnAddress) => cidrText(address);

export function addressPlanIsEmpty(plan: AddressPlan): boolean {
  return plan.up.length + plan.add.length + plan.remove.length + plan.down.length === 0;
}

/** The `ip` commands, one batch line each, in the order they must run. */
export function addressCommands(plan: AddressPlan): string[][] {
  return [
    ...plan.up.map((iface) => ['link', 'set', 'dev', iface, 'up']),
    // nodad: Neutron's port security already makes the address the port's alone, and a
    // tentative IPv6 address could not be the source of the replies verify checks.
    ...plan.add.map((change) => [
      'address',
      'add',
      cidrText(change),
      'dev',
      change.iface,
      ...(change.family === 6 ? ['nodad'] : []),
    ]),
    ...plan.remove.map((change) => ['address', 'del', cidrText(change), 'dev', change.iface]),
    ...plan.down.map((iface) => ['link', 'set', 'dev', iface, 'down']),
  ];
}

/**
 * The plan that undoes `plan` once it ran: what it added is removed, what it removed is added
 * back, links it set up go down and links it set down come up. `before` is the record as it
 * was before the plan (the record is state, not kernel: it is put back as a file, not planned).
 */
export function inverseAddressPlan(plan: AddressPlan, before: AddressRecord = EMPTY_RECORD): AddressPlan {
  return {
    up: [...plan.down],
    add: [...plan.remove],
    remove: [...plan.add],
    down: [...plan.up],
    record: before,
    notes: [],
  };
}

/**
 * The `ip` lines that undo the address plans a run applied, in one batch: the last plan is
 * undone first (a wait may plan again after a NIC came), so the batch walks the kernel back
 * through each step to where the run found it. `interfaces` is the kernel now: a line whose
 * effect already holds is left out (a plan whose batch stopped half-way, a NIC that left
 * with its addresses), so every line of the batch is one the kernel must take.
 */
export function undoAddressCommands(applied: AddressPlan[], interfaces: KernelInterface[]): string[][] {
  const live = new Map(
    interfaces.map((iface) => [
      iface.name,
      { up: iface.up, addresses: new Set(iface.addresses.map((address) => `${address.address}/${address.prefix}`)) },
    ]),
  );
  const lines: string[][] = [];
  for (const plan of [...applied].reverse()) {
    const inverse = inverseAddressPlan(plan);
    const needed: AddressPlan = { up: [], add: [], remove: [], down: [], record: inverse.record, notes: [] };
    for (const name of inverse.up) {
      const now = live.get(name);
      if (now && !now.up) {
        now.up = true;
        needed.up.push(name);
      }
    }
    for (const change of inverse.add) {
      const now = live.get(change.iface);
      if (now && !now.addresses.has(`${change.address}/${change.prefix}`)) {
        now.addresses.add(`${change.address}/${change.prefix}`);
        needed.add.push(change);
      }
    }
    for (const change of inverse.remove) {
      if (live.get(change.iface)?.addresses.delete(`${change.address}/${change.prefix}`)) needed.remove.push(change);
    }
    for (const name of inverse.down) {
      const now = live.get(name);
      if (now?.up) {
        now.up = false;
        needed.down.push(name);
      }
    }
    lines.push(...addressCommands(needed));
  }
  return lines;
}
