/**
 * Domain types: what multinic reasons about once the wire format (src/schema) has been
 * parsed. Shaped for what real clouds hand out: IPv4 and IPv6 side by side, several
 * networks on one link, several links on one network, VLAN and bond links, and DHCP/SLAAC
 * networks whose address only the kernel knows.
 */

export type Family = 4 | 6;

/** A MAC address, always lower case with colons (aa:bb:cc:dd:ee:ff). */
export type Mac = string;

/** An address with its prefix length; `address` is in canonical text form. */
export interface Cidr {
  address: string;
  prefix: number;
}

export type LinkKind = 'physical' | 'vlan' | 'bond';

export interface Link {
  id: string;
  /** Nova's own type string (phy, ovs, vhostuser, vlan, bond, ...). */
  type: string;
  kind: LinkKind;
  /**
   * Absent for a VLAN whose vlan_mac_address is null (it inherits its parent's), and on
   * bare-metal documents (metal3, Ironic) that name links instead.
   */
  mac?: Mac;
  /** The interface name some bare-metal documents give (`name`); used when there is no MAC. */
  name?: string;
  vlan?: { parentId: string; vlanId: number };
  bond?: { memberIds: string[]; mode?: string };
}

/**
 * How the address of a network is found. `static`: from network_data.json. The others:
 * from the kernel at run time, because DHCP or router advertisements put it there.
 */
export type AddressSource = 'static' | 'dhcp' | 'slaac' | 'dhcpv6-stateful' | 'dhcpv6-stateless';

export interface Route {
  family: Family;
  /** The destination network (address is the network address). */
  destination: Cidr;
  gateway: string;
}

export interface Network {
  id: string;
  /** Where it is in the document (networks[3]), for messages that must name the JSON path. */
  path?: string;
  linkId: string;
  family: Family;
  source: AddressSource;
  /** The interface's own address and the subnet's prefix length (static networks). */
  address?: Cidr;
  /** Gateway of the network's default route, if it has one. */
  gateway?: string;
  /** Every route that is not a default route (host routes). */
  routes: Route[];
  /** Neutron's network UUID (`network_id`), when Nova wrote it. */
  networkId?: string;
}

export interface NetworkData {
  links: Link[];
  networks: Network[];
}

/** One address as the kernel has it on an interface. */
export interface KernelAddress {
  family: Family;
  address: string;
  prefix: number;
  scope: string;
  /** True for addresses with a finite lifetime (DHCP, SLAAC). */
  dynamic: boolean;
}

/** One interface as `ip -j -d addr show` describes it. */
export interface KernelInterface {
  name: string;
  index: number;
  mac?: Mac;
  /** linkinfo.info_kind: veth, vlan, bond, bridge, ... (absent for plain hardware). */
  kind?: string;
  /** The lower device of a VLAN (`link`). */
  parent?: string;
  vlanId?: number;
  /** The bond or bridge this interface is enslaved to. */
  master?: string;
  up: boolean;
  loopback: boolean;
  addresses: KernelAddress[];
}

/** An address multinic will make answer, with what its table needs. */
export interface NicAddress {
  family: Family;
  address: string;
  prefix: number;
  /** The subnet the address lives in (network address + prefix). */
  subnet: Cidr;
  gateway?: string;
  routes: Route[];
  /** Where the address came from: the metadata, or the kernel (DHCP/SLAAC). */
  origin: 'metadata' | 'kernel';
  networkId: string;
}

/** A link of network_data.json that was found on the guest. */
export interface Nic {
  /** The MAC the table is allocated by (the link's MAC, or the interface's for a VLAN without one). */
  mac: Mac;
  iface: string;
  linkId: string;
  /** The link's kind in network_data.json: persisting writes the device as the owner has it. */
  kind?: LinkKind;
  addresses: NicAddress[];
}

export interface Note {
  level: 'info' | 'warn';
  message: string;
}

export interface Mapping {
  nics: Nic[];
  /** Links in the metadata that are not on the guest (yet). */
  missing: { linkId: string; mac?: Mac }[];
  /** Interfaces on the guest that the metadata does not list: left alone. */
  unlisted: { iface: string; mac?: Mac }[];
  /** Static addresses of the metadata that are not on their interface (yet). */
  absentAddresses: { iface: string; address: string }[];
  notes: Note[];
}
