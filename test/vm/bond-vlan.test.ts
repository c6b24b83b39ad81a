/**
 * Issue 14: a bonded, VLAN-tagged guest, as Ironic bare metal (or a Nova guest with a
 * trunk) is: network_data.json with two NIC links in an active-backup bond, untagged
 * addresses on the bond, a VLAN on the bond, and a plain NIC on the same subnet as the
 * bond. cloud-init renders the bond and the VLAN on first boot (netplan flavour: under
 * `bonds:` and `vlans:`); multinic must persist into those same definitions, keep netplan
 * loadable, and its rules and tables must hold for the bond and VLAN addresses through a
 * `networkctl reload` and a reboot (a poweroff and a new QEMU on the same disk).
 *
 * Tagged traffic: the lab's switch cannot untag (the host has no 8021q, the bridge no
 * vlan_filtering), so the VLAN's peer lives in the guest: a namespace holding a VLAN
 * device (id 602) on the plain NIC. Its frames leave the guest tagged through ens5's tap,
 * cross the lab switch (behind port security, which lets the VLAN's addresses through
 * as Neutron's allowed address pairs would) and come back in through the bond's tap to
 * bond0.602, and the replies take the way back. One guest, booted twice: about 3 to 5
 * minutes under TCG.
 *
 * Run alone: `CI=true npx vitest run test/vm/bond-vlan.test.ts`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createGuestLab, type GuestLab, type GuestPort } from './guest-lab.js';
import { cachedTrees } from './image.js';
import { unitProperties } from './inspect.js';
import { renderPortSecurity } from '../../mocks/lab/port-security.js';
import { must, waitFor } from './run.js';
import { singleExecutable, vmAvailability } from './support.js';

const availability = await vmAvailability();
const log = (line: string) => process.stderr.write(`${line}\n`);

const MAC = { ens3: 'fa:16:3e:b1:00:03', ens4: 'fa:16:3e:b1:00:04', ens5: 'fa:16:3e:b1:00:05' };
const BOND = { v4: '203.0.113.41', v6: '2001:db8:a::41' };
const PLAIN = { v4: '203.0.113.42', v6: '2001:db8:a::42' };
/** The VLAN's subnet is on no lab network (there is no VLAN there): a /26 of net-b's range, and a /64 of its own. */
const VLAN = {
  id: 602,
  v4: '192.0.2.200',
  v4Subnet: '192.0.2.192/26',
  v6: '2001:db8:f602::200',
  v6Subnet: '2001:db8:f602::/64',
};
const PEER = { v4: '192.0.2.193', v6: '2001:db8:f602::1' };
const UNTAGGED = [BOND.v4, BOND.v6, PLAIN.v4, PLAIN.v6];

/**
 * The lab's ports. The bond is active-backup: it sends from its first member's port with
 * that member's MAC (the bond's, which is also the VLAN's), so that port's security allows
 * the bond's and the VLAN's addresses; the plain NIC's allows the VLAN peer's.
 */
const PORTS: GuestPort[] = [
  {
    name: 'ens3',
    slot: 3,
    mac: MAC.ens3,
    network: 'net-a',
    tap: true,
    addresses: [`${BOND.v4}/24`, `${BOND.v6}/64`],
    allowedAddresses: [VLAN.v4, VLAN.v6],
  },
  {
    name: 'ens4',
    slot: 4,
    mac: MAC.ens4,
    network: 'net-a',
    tap: true,
    addresses: [`${BOND.v4}/24`, `${BOND.v6}/64`],
    allowedAddresses: [VLAN.v4, VLAN.v6],
  },
  {
    name: 'ens5',
    slot: 5,
    mac: MAC.ens5,
    network: 'net-a',
    tap: true,
    addresses: [`${PLAIN.v4}/24`, `${PLAIN.v6}/64`],
    allowedAddresses: [PEER.v4, PEER.v6],
  },
];

const defaultVia = (v6: boolean) => [
  { network: v6 ? '::' : '0.0.0.0', netmask: v6 ? '::' : '0.0.0.0', gateway: v6 ? '2001:db8:a::1' : '203.0.113.1' },
];

/** As Nova/Ironic write it: phy links, a bond of two with bond_links, a vlan on the bond with the bond's MAC. */
const NETWORK_DATA = {
  links: [
    { id: 'tap3', type: 'phy', ethernet_mac_address: MAC.ens3, mtu: 1500 },
    { id: 'tap4', type: 'phy', ethernet_mac_address: MAC.ens4, mtu: 1500 },
    {
      id: 'bond0',
      type: 'bond',
      bond_links: ['tap3', 'tap4'],
      bond_mode: 'active-backup',
      bond_miimon: 100,
      ethernet_mac_address: MAC.ens3,
    },
    {
      id: 'vlan602',
      type: 'vlan',
      vlan_link: 'bond0',
      vlan_id: VLAN.id,
      vlan_mac_address: MAC.ens3,
      vif_id: '0b1c2d3e-0000-4000-8000-000000000602',
    },
    { id: 'tap5', type: 'phy', ethernet_mac_address: MAC.ens5, mtu: 1500 },
  ],
  networks: [
    {
      id: 'network0',
      type: 'ipv4',
      link: 'bond0',
      ip_address: BOND.v4,
      netmask: '255.255.255.0',
      routes: defaultVia(false),
      network_id: 'net-a-v4',
    },
    {
      id: 'network1',
      type: 'ipv6',
      link: 'bond0',
      ip_address: BOND.v6,
      netmask: 'ffff:ffff:ffff:ffff::',
      routes: defaultVia(true),
      network_id: 'net-a-v6',
    },
    // A storage-like VLAN: no gateway, its hosts are on-link.
    {
      id: 'network2',
      type: 'ipv4',
      link: 'vlan602',
      ip_address: VLAN.v4,
      netmask: '255.255.255.192',
      routes: [],
      network_id: 'vlan602-v4',
    },
    {
      id: 'network3',
      type: 'ipv6',
      link: 'vlan602',
      ip_address: VLAN.v6,
      netmask: 'ffff:ffff:ffff:ffff::',
      routes: [],
      network_id: 'vlan602-v6',
    },
    {
      id: 'network4',
      type: 'ipv4',
      link: 'tap5',
      ip_address: PLAIN.v4,
      netmask: '255.255.255.0',
      routes: defaultVia(false),
      network_id: 'net-a-v4',
    },
    {
      id: 'network5',
      type: 'ipv6',
      link: 'tap5',
      ip_address: PLAIN.v6,
      netmask: 'ffff:ffff:ffff:ffff::',
      routes: defaultVia(true),
      network_id: 'net-a-v6',
    },
  ],
  services: [],
};

interface Table {
  mac: string;
  iface: string | null;
  table: number;
  attached: boolean;
}

describe.skipIf(!availability.ok)(
  `a bonded, VLAN-tagged guest under QEMU, netplan flavour (${availability.reason})`,
  () => {
    let g: GuestLab;

    beforeAll(async () => {
      const [binary] = await Promise.all([singleExecutable(), cachedTrees(log)]);
      g = await createGuestLab({
        flavour: 'netplan',
        binary,
        configDrive: 'iso9660',
        ports: PORTS,
        networkData: NETWORK_DATA,
      });
      // A bond's members all send with the bond's MAC (fail_over_mac=none), and which member
      // is active depends on the order networkd enslaves them: the bond's ports allow the
      // bond's MAC, as a Neutron allowed address pair with a mac_address does.
      const rules = PORTS.map((p) => {
        const allowed = [...p.addresses, ...(p.allowedAddresses ?? [])].map((a) => a.split('/')[0]!);
        return {
          port: g.lab.portOf(p.name),
          mac: p.name === 'ens4' ? MAC.ens3 : p.mac,
          ipv4: allowed.filter((a) => !a.includes(':')),
          ipv6: allowed.filter((a) => a.includes(':')),
        };
      });
      await must('ip', ['netns', 'exec', g.lab.names.switch, 'nft', '-f', '-'], { input: renderPortSecurity(rules) });
      const started = Date.now();
      await g.boot();
      log(`bond-vlan: guest up after ${Math.round((Date.now() - started) / 1000)} s, ${await g.vm.booted()}`);
    }, 900_000);

    afterAll(async () => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before it was made
      await g?.destroy();
    }, 120_000);

    const sh = (command: string) => g.vm.agent.must(command, 180_000);

    /** Every untagged address answers the client; if not, which did not, and the bond's state. */
    const untaggedAnswer = async (timeoutMs: number) => {
      await g.allAnswer(timeoutMs, UNTAGGED).catch(async (error: unknown) => {
        const bonding = await g.vm.agent
          .sh('cat /proc/net/bonding/bond0; ip -br addr; ip -N rule', 60_000)
          .catch(() => ({ stdout: '' }));
        throw new Error(
          `${(error as Error).message}; silent: ${(await g.silent(UNTAGGED)).join(', ')}\n${bonding.stdout}`,
        );
      });
    };

    const tables = async (): Promise<Table[]> =>
      (JSON.parse(await sh('multinic status --json')) as { nics: Table[] }).nics.filter((nic) => nic.attached);
    const tableOf = async (iface: string): Promise<number> => {
      const table = (await tables()).find((nic) => nic.iface === iface)?.table;
      if (!table) throw new Error(`no table for ${iface} in multinic status`);
      return table;
    };

    /** The rules and table routes multinic keeps for the bond's and the VLAN's addresses, read from the kernel. */
    const routingHolds = async (): Promise<void> => {
      const [bond, vlan] = [await tableOf('bond0'), await tableOf(`bond0.${VLAN.id}`)];
      expect(bond).not.toBe(vlan);
      const rules = `${await sh('ip -N -4 rule')}${await sh('ip -N -6 rule')}`;
      for (const [address, table] of [
        [BOND.v4, bond],
        [BOND.v6, bond],
        [VLAN.v4, vlan],
        [VLAN.v6, vlan],
      ] as const) {
        expect(rules, `${address} → ${table}`).toMatch(
          new RegExp(`from ${address.replace(/\./g, '\\.')} lookup ${table}( |\\n)`),
        );
      }
      const bondRoutes = `${await sh(`ip -4 route show table ${bond}`)}${await sh(`ip -6 route show table ${bond}`)}`;
      expect(bondRoutes).toMatch(/default via 203\.0\.113\.1 dev bond0/);
      expect(bondRoutes).toMatch(/default via 2001:db8:a::1 dev bond0/);
      expect(bondRoutes).toMatch(/203\.0\.113\.0\/24 dev bond0 .*src 203\.0\.113\.41/);
      const vlanRoutes = `${await sh(`ip -4 route show table ${vlan}`)}${await sh(`ip -6 route show table ${vlan}`)}`;
      expect(vlanRoutes).toContain(`${VLAN.v4Subnet} dev bond0.${VLAN.id}`);
      expect(vlanRoutes).toContain(`${VLAN.v6Subnet} dev bond0.${VLAN.id}`);
      expect(vlanRoutes).not.toContain('dev bond0 '); // the VLAN's table is its own, not the bond's
    };

    /**
     * The VLAN's peer: a namespace in the guest with a VLAN device on ens5, so the tagged
     * frames go out through the lab switch and in to the bond. Made again after a reboot.
     */
    const vlanPeerAnswers = async (): Promise<void> => {
      await sh(
        [
          'ip netns del vpeer 2>/dev/null; ip netns add vpeer',
          `(ip link add link ens5 name vpeer0 netns vpeer type vlan id ${VLAN.id} || (ip link add link ens5 name vpeer0 type vlan id ${VLAN.id} && ip link set vpeer0 netns vpeer))`,
          'ip -n vpeer link set lo up',
          `ip -n vpeer addr add ${PEER.v4}/26 dev vpeer0`,
          `ip -n vpeer -6 addr add ${PEER.v6}/64 dev vpeer0 nodad`,
          'ip -n vpeer link set vpeer0 up',
        ].join(' && '),
      );
      for (const address of [VLAN.v4, VLAN.v6]) {
        await waitFor(
          `${address} to answer the VLAN peer`,
          60_000,
          async () =>
            (await g.vm.agent.sh(`ip netns exec vpeer ping -c 1 -W 2 -n -q ${address}`, 30_000)).code === 0
              ? true
              : undefined,
          1000,
        );
      }
      // The answers came back tagged through the switch: the peer learned bond0.602's MAC (the bond's), not a local shortcut.
      expect(await sh('ip -n vpeer neigh show dev vpeer0')).toContain(MAC.ens3);
      await sh('ip netns del vpeer');
    };

    it('first boot: cloud-init made the bond and the VLAN, multinic.service succeeded, and every untagged address answers the client', async () => {
      const bond = JSON.parse(await sh('ip -d -j link show bond0')) as {
        linkinfo?: { info_kind?: string; info_data?: { mode?: string } };
      }[];
      expect(bond[0]?.linkinfo?.info_kind).toBe('bond');
      expect(bond[0]?.linkinfo?.info_data?.mode).toBe('active-backup');
      expect(
        await sh('ls /sys/class/net/bond0/lower_ens3 /sys/class/net/bond0/lower_ens4 >/dev/null && echo members'),
      ).toContain('members');
      const vlan = JSON.parse(await sh(`ip -d -j link show bond0.${VLAN.id}`)) as {
        link?: string;
        linkinfo?: { info_kind?: string; info_data?: { id?: number } };
      }[];
      expect(vlan[0]?.linkinfo).toMatchObject({ info_kind: 'vlan', info_data: { id: VLAN.id } });
      expect(vlan[0]?.link).toBe('bond0');
      const service = await unitProperties(g.vm.agent, 'multinic.service', ['Result', 'ActiveState']);
      expect(service).toMatchObject({ Result: 'success', ActiveState: 'active' });
      await untaggedAnswer(180_000);
    }, 400_000);

    it("--persist auto wrote into netplan's own device types (bonds:, vlans:), never ethernets: for them, and netplan generate still loads", async () => {
      const journal = await sh('journalctl -b -o cat -u multinic.service');
      expect(journal).toMatch(/persisted for netplan/);
      const ours = parseYaml(await sh('cat /etc/netplan/90-multinic.yaml')) as {
        network: Record<string, Record<string, unknown> | number>;
      };
      expect(Object.keys(ours.network.bonds ?? {})).toEqual(['bond0']);
      expect(Object.keys(ours.network.vlans ?? {})).toEqual([`bond0.${VLAN.id}`]);
      expect(Object.keys(ours.network.ethernets ?? {})).toEqual(['ens5']);
      const cloudInit = parseYaml(await sh('cat /etc/netplan/50-cloud-init.yaml')) as {
        network: Record<string, Record<string, unknown>>;
      };
      expect(Object.keys(cloudInit.network.bonds ?? {})).toEqual(['bond0']);
      expect(Object.keys(cloudInit.network.vlans ?? {})).toEqual([`bond0.${VLAN.id}`]);
      const generated = await g.vm.agent.sh('netplan generate', 120_000);
      expect(generated.code, generated.stderr).toBe(0);
      // The generated networkd files for the bond and the VLAN carry multinic's rules.
      for (const iface of ['bond0', `bond0.${VLAN.id}`]) {
        expect(await sh(`cat /run/systemd/network/10-netplan-${iface}.network`), iface).toMatch(
          /\[RoutingPolicyRule\]/,
        );
      }
    }, 300_000);

    it("the rules and table routes exist for the bond's and the VLAN's addresses (a table each), and the VLAN answers its peer through the switch, tagged", async () => {
      await routingHolds();
      await vlanPeerAnswers();
    }, 300_000);

    it('they survive networkctl reload and a reconfigure of the bond and the VLAN', async () => {
      await sh(`networkctl reload && networkctl reconfigure bond0 bond0.${VLAN.id} ens5`);
      const settled = `networkctl list --no-legend --no-pager | grep -E ' (bond0|bond0\\.${VLAN.id}|ens5) ' | grep -c 'routable *configured'`;
      await waitFor(
        'networkd to configure the three links again',
        120_000,
        async () => ((await g.vm.agent.sh(settled)).stdout.trim() === '3' ? true : undefined),
        2000,
      );
      await routingHolds();
      await untaggedAnswer(120_000);
      await vlanPeerAnswers();
    }, 400_000);

    it('they survive a reboot (poweroff, a new QEMU on the same disk): every untagged address answers, the VLAN answers its peer', async () => {
      const before = await tables();
      await g.vm.poweroff();
      const started = Date.now();
      await g.boot();
      log(`bond-vlan: second boot up after ${Math.round((Date.now() - started) / 1000)} s, ${await g.vm.booted()}`);
      expect(await unitProperties(g.vm.agent, 'multinic.service', ['Result'])).toMatchObject({ Result: 'success' });
      expect(await tables()).toEqual(before);
      await routingHolds();
      await untaggedAnswer(180_000);
      await vlanPeerAnswers();
    }, 700_000);
  },
);
