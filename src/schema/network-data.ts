/**
 * The wire format of OpenStack's network_data.json, as Nova (nova/virt/netutils.py) and
 * Ironic write it. Mirrors the JSON (snake_case), tolerates fields it does not know
 * (clouds add them over time) and nulls where Nova writes null.
 */
import * as z from './zod.js';

const nullableString = z.nullish(z.string());
const nonEmpty = z.string().check(z.minLength(1));

export const wireService = z.looseObject({
  type: z.string(),
  address: z.optional(z.string()),
});

export const wireRoute = z.looseObject({
  network: z.string(),
  netmask: z.nullish(z.union([z.string(), z.number()])),
  gateway: z.string(),
  services: z.nullish(z.array(wireService)),
});

export const wireLink = z.looseObject({
  id: nonEmpty,
  // Rackspace's config drive writes "type": null for every port (glean's rax-iad fixture,
  // cloud-init's NETWORK_DATA_3): such a link is a plain NIC, not a malformed document.
  type: nullableString,
  name: nullableString,
  ethernet_mac_address: nullableString,
  mtu: z.nullish(z.int().check(z.positive())),
  vif_id: nullableString,
  // vlan links
  vlan_link: nullableString,
  vlan_id: z.nullish(z.union([z.int(), z.string().check(z.regex(/^\d+$/))])),
  vlan_mac_address: nullableString,
  // bond links (Ironic also writes these on links typed "phy")
  bond_links: z.nullish(z.array(z.string())),
  bond_mode: nullableString,
  bond_miimon: z.nullish(z.union([z.number(), z.string()])),
  bond_xmit_hash_policy: nullableString,
});

export const wireNetwork = z.looseObject({
  id: nonEmpty,
  type: nonEmpty,
  link: nonEmpty,
  ip_address: nullableString,
  netmask: z.nullish(z.union([z.string(), z.number()])),
  routes: z.nullish(z.array(wireRoute)),
  network_id: nullableString,
  /** Some clouds (Open Telekom Cloud) write the gateway beside the network, not as a route. */
  gateway: nullableString,
  services: z.nullish(z.array(wireService)),
});

export const wireNetworkData = z.looseObject({
  links: z.array(wireLink),
  networks: z._default(z.array(wireNetwork), []),
  services: z.nullish(z.array(wireService)),
});

export type WireLink = z.infer<typeof wireLink>;
export type WireNetwork = z.infer<typeof wireNetwork>;
export type WireRoute = z.infer<typeof wireRoute>;
export type WireNetworkData = z.infer<typeof wireNetworkData>;
