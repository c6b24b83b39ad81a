/**
 * A QEMU guest in the namespace lab (mocks/lab): its NICs are tap ports of the lab's switch
 * behind the same port security as the veth guest's, so the client (198.51.100.10), the
 * router (an on-link neighbour on every subnet) and the mock metadata service at
 * 169.254.169.254 / fe80::a9fe:a9fe reach it exactly as they reach the namespace guest.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLab, type Lab, type LabNetwork, type LabNic } from '../../mocks/lab/lab.js';
import { makeConfigDrive, novaMetaData, type DriveFormat } from './config-drive.js';
import { startDhcp, type DhcpServer } from './dhcp.js';
import { makeGuestDisk, type Flavour } from './image.js';
import { waitFor } from './run.js';
import { Vm, type VmNic } from './vm.js';

export const VM_NETWORKS: LabNetwork[] = [
  {
    name: 'net-a',
    v4: { cidr: '203.0.113.0/24', gateway: '203.0.113.1' },
    v6: { cidr: '2001:db8:a::/64', gateway: '2001:db8:a::1' },
  },
  {
    name: 'net-b',
    v4: { cidr: '192.0.2.0/24', gateway: '192.0.2.1' },
    v6: { cidr: '2001:db8:b::/64', gateway: '2001:db8:b::1' },
  },
];

/** A guest port: the lab NIC (a tap) and the PCI slot that names it in the guest (ensN). */
export interface GuestPort extends LabNic {
  slot: number;
}

export function port(slot: number, network: 'net-a' | 'net-b', v4: string, v6?: string): GuestPort {
  const prefix = network === 'net-a' ? '2001:db8:a::' : '2001:db8:b::';
  return {
    name: `ens${slot}`,
    slot,
    mac: `fa:16:3e:b1:00:${slot.toString(16).padStart(2, '0')}`,
    network,
    tap: true,
    addresses: [`${v4}/24`, ...(v6 ? [`${prefix}${v6}/64`] : [])],
  };
}

/** Three ports, two on one subnet and one on another: the boot's NICs. */
export const BOOT_PORTS: GuestPort[] = [
  port(3, 'net-a', '203.0.113.21', '21'),
  port(4, 'net-a', '203.0.113.22'),
  port(5, 'net-b', '192.0.2.30', '30'),
];
/** The port interface-attach adds. */
export const ATTACH_PORT: GuestPort = port(6, 'net-b', '192.0.2.31', '31');
/** A second attached port, listed by the metadata only a while after the plug. */
export const LATE_PORT: GuestPort = port(7, 'net-a', '203.0.113.23');

export const addressesOf = (ports: GuestPort[]): string[] =>
  ports.flatMap((p) => p.addresses.map((a) => a.split('/')[0]!));

/**
 * network_data.json as Nova writes it for these ports, in this order (the primary, ens3,
 * deliberately not first): one link per port, one network per address, each with the
 * subnet's default route.
 */
export function networkDataFor(ports: GuestPort[]): unknown {
  const order = [...ports.slice(1, 2), ...ports.slice(0, 1), ...ports.slice(2)];
  let n = 0;
  return {
    links: order.map((p) => ({
      id: `tap${p.slot}`,
      vif_id: `0b1c2d3e-0000-4000-8000-0000000000${p.slot.toString(16).padStart(2, '0')}`,
      type: 'ovs',
      mtu: 1500,
      ethernet_mac_address: p.mac,
    })),
    networks: order.flatMap((p) =>
      p.addresses.map((cidr) => {
        const [address = ''] = cidr.split('/');
        const network = VM_NETWORKS.find((net) => net.name === p.network)!;
        const v6 = address.includes(':');
        return {
          id: `network${n++}`,
          type: v6 ? 'ipv6' : 'ipv4',
          link: `tap${p.slot}`,
          ip_address: address,
          netmask: v6 ? 'ffff:ffff:ffff:ffff::' : '255.255.255.0',
          routes: [
            {
              network: v6 ? '::' : '0.0.0.0',
              netmask: v6 ? '::' : '0.0.0.0',
              gateway: v6 ? network.v6?.gateway : network.v4?.gateway,
            },
          ],
          network_id: `${p.network}-${v6 ? 'v6' : 'v4'}`,
        };
      }),
    ),
    services: [],
  };
}

export const USER_DATA =
  '#cloud-config\n# the VM lab: nothing to do but be there (an empty user_data only warns)\nfinal_message: "multinic VM lab: cloud-init finished"\n';

export interface GuestLabOptions {
  flavour: Flavour;
  /** The single executable to install; none: the same image without multinic. */
  binary?: string;
  ports?: GuestPort[];
  configDrive?: DriveFormat | false;
  /** user_data on the config drive; the metadata service serves it too when it is text. */
  userData?: string | Uint8Array;
  /** With `binary`: false leaves multinic.service disabled in the image (user-data-baked.yaml enables it). */
  enableMultinic?: boolean;
  /** Serve DHCP for the first port from the router (a guest without a config drive needs it to reach the metadata service). */
  dhcp?: boolean;
  files?: Record<string, string>;
  /** network_data.json to serve and put on the config drive instead of networkDataFor(ports) (bonds, VLANs). */
  networkData?: unknown;
}

export interface GuestLab {
  lab: Lab;
  vm: Vm;
  work: string;
  /** The ports plugged now (the boot's, plus attached ones). */
  ports: GuestPort[];
  vmNic(p: GuestPort): VmNic;
  /** Boot (again) with the ports plugged now, as a Nova start does. */
  boot(): Promise<void>;
  /**
   * interface-attach: the port on the switch, in the metadata, then hot-plugged; with
   * `metadataLagMs`, the metadata lists it only that long after the plug (a slow Nova).
   */
  attach(p: GuestPort, metadataLagMs?: number): Promise<void>;
  /** interface-detach: unplugged, then gone from the switch and the metadata. */
  detach(p: GuestPort): Promise<void>;
  /** Addresses (of `ports`) that do not answer the client's ping. */
  silent(addresses?: string[]): Promise<string[]>;
  /** Poll until every address answers; returns the ms since power-on when they all did. */
  allAnswer(timeoutMs: number, addresses?: string[]): Promise<number>;
  destroy(): Promise<void>;
}

export async function createGuestLab(options: GuestLabOptions): Promise<GuestLab> {
  const work = await mkdtemp(join(tmpdir(), `multinic-vm-${options.flavour}-`));
  const ports = [...(options.ports ?? BOOT_PORTS)];
  const userData = options.userData ?? USER_DATA;
  const networkData = options.networkData ?? networkDataFor(ports);
  const lab = await createLab({
    networks: VM_NETWORKS,
    nics: ports,
    networkData,
    metadata: typeof userData === 'string' ? { userData } : {},
  });
  let vm: Vm | undefined;
  let dhcp: DhcpServer | undefined;
  try {
    const disk = await makeGuestDisk(work, {
      flavour: options.flavour,
      ...(options.binary ? { binary: options.binary } : {}),
      ...(options.enableMultinic === false ? { enableMultinic: false } : {}),
      ...(options.files ? { files: options.files } : {}),
    });
    const primary = ports[0];
    if (options.dhcp && primary)
      dhcp = await startDhcp(
        lab,
        work,
        VM_NETWORKS.find((net) => net.name === primary.network)!,
        primary,
      );
    const drive = options.configDrive
      ? {
          format: options.configDrive,
          path: await makeConfigDrive(
            join(work, `config-2.${options.configDrive === 'vfat' ? 'vfat' : 'iso'}`),
            options.configDrive,
            {
              metaData: novaMetaData('0b1c2d3e-0000-4000-8000-000000000001', `multinic-${options.flavour}`),
              networkData,
              userData,
            },
          ),
        }
      : undefined;
    const vmNic = (p: GuestPort): VmNic => ({ tap: lab.portOf(p.name), mac: p.mac, slot: p.slot });
    vm = new Vm({
      netns: lab.names.switch,
      work,
      ...disk,
      nics: ports.map(vmNic),
      ...(drive ? { configDrive: drive } : {}),
    });
    const theVm = vm;
    const silent = async (addresses = addressesOf(ports)) => {
      const reach = await lab.reachability(addresses);
      return [...reach].filter(([, ok]) => !ok).map(([address]) => address);
    };
    return {
      lab,
      vm,
      work,
      ports,
      vmNic,
      silent,
      boot: async () => {
        await theVm.start(ports.map(vmNic));
      },
      attach: async (p, metadataLagMs = 0) => {
        await lab.addNic(p);
        ports.push(p);
        if (metadataLagMs === 0) await lab.metadata.setNetworkData(networkDataFor(ports));
        await theVm.attach(vmNic(p));
        if (metadataLagMs > 0) {
          await new Promise((done) => setTimeout(done, metadataLagMs));
          await lab.metadata.setNetworkData(networkDataFor(ports));
        }
      },
      detach: async (p) => {
        await theVm.detach(vmNic(p));
        ports.splice(
          ports.findIndex((q) => q.name === p.name),
          1,
        );
        await lab.metadata.setNetworkData(networkDataFor(ports));
        await lab.removeNic(p.name);
      },
      allAnswer: async (timeoutMs, addresses) =>
        await waitFor(
          `every address to answer the client`,
          timeoutMs,
          async () => ((await silent(addresses)).length === 0 ? Date.now() - theVm.startedAt : undefined),
          1000,
        ),
      destroy: async () => {
        await theVm.kill();
        await dhcp?.stop();
        await lab.destroy();
        if (!process.env.MULTINIC_VM_KEEP) await rm(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await vm?.kill();
    await dhcp?.stop();
    await lab.destroy();
    throw error;
  }
}
