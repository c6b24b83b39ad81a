/**
 * Judges a document against the guest before anything is planned (issue 14). Pure.
 *
 * An address the kernel holds on one NIC that the document puts on another (two NICs'
 * addresses swapped, a stale document after a port was moved) would take the address's
 * rules from the NIC that answers for it: the guest goes from every NIC answering to only
 * some, and `apply` would say it succeeded. The metadata is what is wrong there, so it is
 * refused (exit 65) with the JSON path, before the kernel is touched.
 */
import { InvalidNetworkData } from '../errors.js';
import type { KernelInterface, NetworkData } from '../model/types.js';

export function judgeAgainstKernel(data: NetworkData, interfaces: KernelInterface[]): void {
  const links = new Map(data.links.map((link) => [link.id, link]));
  for (const network of data.networks) {
    const link = links.get(network.linkId);
    if (network.source !== 'static' || !network.address || !link?.mac || link.kind !== 'physical') continue;
    const address = network.address.address;
    const holder = interfaces.find(
      (iface) => !iface.loopback && iface.addresses.some((held) => held.address === address),
    );
    if (!holder?.mac || holder.mac === link.mac) continue;
    // Only when the NIC the document names is on the guest: otherwise it is still coming.
    const named = interfaces.find((iface) => iface.mac === link.mac && iface.kind !== 'vlan' && iface.kind !== 'bond');
    if (!named) continue;
    throw new InvalidNetworkData(
      `network_data.json: ${network.path ?? `network ${network.id}`}.ip_address: ${address} is on ${holder.name} (${holder.mac}), ` +
        `but the document puts it on link "${link.id}" (${link.mac}, which is ${named.name}): applying it would take the address's replies ` +
        `from the NIC that holds it; refused, nothing changed`,
    );
  }
}
