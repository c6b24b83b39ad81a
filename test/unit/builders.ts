/** Small builders for domain values, so each test states only what matters to it. */
import { subnetOf } from '../../src/model/addresses.js';
import type {
  KernelAddress,
  KernelInterface,
  Link,
  Network,
  NetworkData,
  Nic,
  NicAddress,
} from '../../src/model/types.js';
import type { PlannedNic, RouteSpec, RoutingState, RuleSpec } from '../../src/plan/types.js';

export function aLink(overrides: Partial<Link> = {}): Link {
  return { id: 'tap0', type: 'ovs', kind: 'physical', mac: 'fa:16:3e:00:00:01', ...overrides };
}

export function aNetwork(overrides: Partial<Network> = {}): Network {
  return {
    id: 'network0',
    linkId: 'tap0',
    family: 4,
    source: 'static',
    address: { address: '203.0.113.21', prefix: 24 },
    gateway: '203.0.113.1',
    routes: [],
    ...overrides,
  };
}

export function networkData(links: Link[], networks: Network[]): NetworkData {
  return { links, networks };
}

export function anAddress(address: string, prefix: number, overrides: Partial<KernelAddress> = {}): KernelAddress {
  return { family: address.includes(':') ? 6 : 4, address, prefix, scope: 'global', dynamic: false, ...overrides };
}

export function anInterface(overrides: Partial<KernelInterface> = {}): KernelInterface {
  return { name: 'eth0', index: 2, mac: 'fa:16:3e:00:00:01', up: true, loopback: false, addresses: [], ...overrides };
}

export function aNicAddress(address: string, prefix: number, overrides: Partial<NicAddress> = {}): NicAddress {
  return {
    family: address.includes(':') ? 6 : 4,
    address,
    prefix,
    subnet: subnetOf(address, prefix),
    routes: [],
    origin: 'metadata',
    networkId: 'network0',
    ...overrides,
  };
}

export function aNic(overrides: Partial<Nic> = {}): Nic {
  return {
    mac: 'fa:16:3e:00:00:01',
    iface: 'eth0',
    linkId: 'tap0',
    addresses: [aNicAddress('203.0.113.21', 24, { gateway: '203.0.113.1' })],
    ...overrides,
  };
}

/**
 * The guest of the own-address tests (issue 13): ens3, which its owner configures, and ens6,
 * a port attached later that nobody brought up or gave an address.
 */
export const MAC6 = 'fa:16:3e:00:00:06';
export const ens3 = anInterface({
  name: 'ens3',
  index: 2,
  mac: 'fa:16:3e:00:00:01',
  addresses: [anAddress('203.0.113.21', 24)],
});
export const bareEns6 = anInterface({ name: 'ens6', index: 5, mac: MAC6, up: false, addresses: [] });

/** ens5 as planned, with its subnet route and a default route in its table: the verify tests' NIC. */
export const ens5Planned: PlannedNic = {
  mac: 'fa:16:3e:00:00:05',
  iface: 'ens5',
  table: 10003,
  priority: 10003,
  addresses: ['192.0.2.30'],
};
export const ens5Subnet: RouteSpec = {
  family: 4,
  table: 10003,
  dst: '192.0.2.0/24',
  dev: 'ens5',
  src: '192.0.2.30',
  scope: 'link',
};
export const ens5Rule: RuleSpec = { family: 4, priority: 10003, from: '192.0.2.30/32', table: 10003 };
export const ens5Desired: RoutingState = {
  routes: [ens5Subnet, { family: 4, table: 10003, dst: 'default', via: '192.0.2.1', dev: 'ens5' }],
  rules: [ens5Rule],
};
