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
