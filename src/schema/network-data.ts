/**
 * The wire format of OpenStack's network_data.json, as Nova (nova/virt/netutils.py) and
 * Ironic write it. Mirrors the JSON (snake_case), tolerates fields it does not know
 * (clouds add them over time) and nulls where Nova writes null.
 */
import { z } from 'zod';

const nullableString = z.string().nullish();

export const wireService = z.looseObject({
  type: z.string(),
  address: z.string().optional(),
});

export const wireRoute = z.looseObject({
  network: z.string(),
  netmask: z.union([z.string(), z.number()]).nullish(),
  gateway: z.string(),
  services: z.array(wireService).nullish(),
});

export const wireLink = z.looseObject({
  id: z.string().min(1),
  // Rackspace's config drive writes "type": null for every port (glean's rax-iad fixture,
  // cloud-init's NETWORK_DATA_3): such a link is a plain NIC, not a malformed document.
  type: nullableString,
  name: nullableString,
  ethernet_mac_address: nullableString,
  mtu: z.number().int().positive().nullish(),
  vif_id: nullableString,
  // vlan links
  vlan_link: nullableString,
  vlan_id: z.union([z.number().int(), z.string().regex(/^\d+$/)]).nullish(),
  vlan_mac_address: nullableString,
  // bond links (Ironic also writes these on links typed "phy")
  bond_links: z.array(z.string()).nullish(),
  bond_mode: nullableString,
  bond_miimon: z.union([z.number(), z.string()]).nullish(),
  bond_xmit_hash_policy: nullableString,
});

export const wireNetwork = z.looseObject({
  id: z.string().min(1),
  type: z.string().min(1),
  link: z.string().min(1),
  ip_address: nullableString,
  netmask: z.union([z.string(), z.number()]).nullish(),
  routes: z.array(wireRoute).nullish(),
  network_id: nullableString,
  /** Some clouds (Open Telekom Cloud) write the gateway beside the network, not as a route. */
  gateway: nullableString,
  services: z.array(wireService).nullish(),
});

export const wireNetworkData = z.looseObject({
  links: z.array(wireLink),
  networks: z.array(wireNetwork).default([]),
  services: z.array(wireService).nullish(),
});

export type WireLink = z.infer<typeof wireLink>;
export type WireNetwork = z.infer<typeof wireNetwork>;
export type WireRoute = z.infer<typeof wireRoute>;
export type WireNetworkData = z.infer<typeof wireNetworkData>;
