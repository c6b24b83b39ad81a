/**
 * The wire format of OpenStack's network_data.json, as Nova (nova/virt/netutils.py) and
 * Ironic write it. Mirrors the JSON (snake_case), tolerates fields it does not know
 * (clouds add them over time) and nulls where Nova writes null.
 */
import * as z from './zod.js';

const nullableString = z.nullish(z.string());
const nonEmpty = z.string().check(z.minLength(1));

/*
 * Strict only where multinic's decisions depend on a field (issue 14): links' ids, types,
 * MACs, VLAN and bond references; networks' types, links, addresses, netmasks, routes and
 * gateways. Every other field (mtu, vif_id, bond options, services, meta...) passes
 * unread, and network_id is read as whatever it is, since a field multinic never decides
 * on must never refuse a document (Nova's own test documents have odd ones).
 */

export const wireRoute = z.looseObject({
  network: z.string(),
  netmask: z.nullish(z.union([z.string(), z.number()])),
  gateway: z.string(),
});

export const wireLink = z.looseObject({
  id: nonEmpty,
  // Rackspace's config drive writes "type": null for every port (glean's rax-iad fixture,
  // cloud-init's NETWORK_DATA_3): such a link is a plain NIC, not a malformed document.
  type: nullableString,
  name: nullableString,
  ethernet_mac_address: nullableString,
  // vlan links
  vlan_link: nullableString,
  vlan_id: z.nullish(z.union([z.int(), z.string().check(z.regex(/^\d+$/))])),
  vlan_mac_address: nullableString,
  // bond links (Ironic also writes these on links typed "phy")
  bond_links: z.nullish(z.array(z.string())),
  // Not used for any decision: kept for messages, never a reason to refuse.
  bond_mode: z.optional(z.unknown()),
});

export const wireNetwork = z.looseObject({
  // Only named in messages: any JSON scalar will do (parse.ts).
  id: z.optional(z.unknown()),
  type: nonEmpty,
  link: nonEmpty,
  ip_address: nullableString,
  netmask: z.nullish(z.union([z.string(), z.number()])),
  routes: z.nullish(z.array(wireRoute)),
  /** Some clouds (Open Telekom Cloud) write the gateway beside the network, not as a route. */
  gateway: nullableString,
  network_id: z.optional(z.unknown()),
});

export const wireNetworkData = z.looseObject({
  links: z.array(wireLink),
  // Absent is not the same as empty: parse.ts refuses a document without the key.
  networks: z.optional(z.nullable(z.array(wireNetwork))),
});
export type WireLink = z.infer<typeof wireLink>;
export type WireNetwork = z.infer<typeof wireNetwork>;
export type WireRoute = z.infer<typeof wireRoute>;
