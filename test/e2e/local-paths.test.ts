/**
 * Issue 14, harm 1, on a real kernel: after `apply`, every other path keeps working. The
 * guest has a container bridge (docker0, a container behind it) and a tunnel-like link (wg0,
 * a peer with a remote network behind it), each on its own documentation subnet that the
 * main table routes more specifically than its default route; a neighbour host sits on each
 * of the guest's subnets, behind the same port security as the guest's NICs; and the client
 * is behind the router. All of them must get answers from every guest address, IPv4 and
 * IPv6, after apply and after a reboot-equivalent restored by the owner's own tool (ifup).
 * Two controls show what each rule tier is for: without the main-table tier the container
 * loses its answers (amazon-ec2-net-utils 97/100), without the managed-prefix tier the
 * neighbours do (nm-cloud-setup's `suppress_prefixlength 0` alone).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addExtraHosts, type ExtraHosts } from '../../mocks/lab/extra-hosts.js';
import { createLab, type Lab, type LabNetwork, type LabNic } from '../../mocks/lab/lab.js';
import { e2eAvailability } from '../support/e2e.js';
import { sections } from '../support/sections.js';

const availability = await e2eAvailability();
const hasIfup = spawnSync('sh', ['-c', 'command -v ifup']).status === 0;
if (!hasIfup && process.env.CI) throw new Error('missing ifup: apt-get install ifupdown');
const hasNetplan = spawnSync('sh', ['-c', 'command -v netplan']).status === 0;
if (!hasNetplan && process.env.CI) throw new Error('missing netplan: apt-get install netplan.io');

/**
 * What systemd-networkd would do with a .network file's [Route] and [RoutingPolicyRule]
 * sections (and its drop-ins), as `ip` commands: networkd cannot run on the test machines
 * (no systemd as init), so this stands in for it after `netplan generate`.
 */
function networkdCommands(iface: string, all: { name: string; keys: Record<string, string> }[]): string[][] {
  return all.flatMap(({ name, keys }) => {
    const family = (keys.Destination ?? keys.From ?? '').includes(':') ? '-6' : '-4';
    if (name === '[Route]' && keys.Table) {
      const dst = keys.Destination === '0.0.0.0/0' || keys.Destination === '::/0' ? 'default' : keys.Destination!;
      return [
        [
          family,
          'route',
          'replace',
          dst,
          ...(keys.Gateway ? ['via', keys.Gateway] : []),
          'dev',
          iface,
          ...(keys.PreferredSource ? ['src', keys.PreferredSource] : []),
          ...(keys.Scope ? ['scope', keys.Scope] : []),
          ...(keys.GatewayOnLink === 'true' || keys.GatewayOnLink === 'yes' ? ['onlink'] : []),
          'table',
          keys.Table,
        ],
      ];
    }
    if (name === '[RoutingPolicyRule]') {
      return [
        [
          family,
          'rule',
          'add',
          'from',
          keys.From!,
          ...(keys.To ? ['to', keys.To] : []),
          'lookup',
          keys.Table!,
          'priority',
          keys.Priority!,
          ...(keys.SuppressPrefixLength ? ['suppress_prefixlength', keys.SuppressPrefixLength] : []),
        ],
      ];
    }
    return [];
  });
}

const NETWORKS: LabNetwork[] = [
  {
    name: 'net-a',
    v4: { cidr: '203.0.113.0/24', gateway: '203.0.113.1' },
    v6: { cidr: '2001:db8:a::/64', gateway: '2001:db8:a::1' },
  },
  {
    name: 'net-b',
    v4: { cidr: '192.0.2.0/25', gateway: '192.0.2.1' },
    v6: { cidr: '2001:db8:b::/64', gateway: '2001:db8:b::1' },
  },
];
const NICS: LabNic[] = [
  {
    name: 'ens3',
    mac: 'fa:16:3e:14:00:03',
    network: 'net-a',
    addresses: ['203.0.113.21/24', '2001:db8:a::21/64'],
    primary: true,
  },
  { name: 'ens4', mac: 'fa:16:3e:14:00:04', network: 'net-a', addresses: ['203.0.113.22/24', '2001:db8:a::22/64'] },
  { name: 'ens5', mac: 'fa:16:3e:14:00:05', network: 'net-b', addresses: ['192.0.2.30/25', '2001:db8:b::30/64'] },
];
const GUEST = NICS.flatMap((nic) => nic.addresses.map((cidr) => cidr.split('/')[0]!));

const link = (nic: LabNic) => ({ id: `tap-${nic.name}`, type: 'ovs', ethernet_mac_address: nic.mac });
const route = (gateway: string) => ({
  network: gateway.includes(':') ? '::' : '0.0.0.0',
  netmask: gateway.includes(':') ? '::' : '0.0.0.0',
  gateway,
});
const NETWORK_DATA = {
  links: NICS.map(link),
  networks: NICS.flatMap((nic, index) => {
    const network = NETWORKS.find((candidate) => candidate.name === nic.network);
    return [
      {
        id: `v4-${index}`,
        type: 'ipv4',
        link: `tap-${nic.name}`,
        ip_address: nic.addresses[0]?.split('/')[0],
        netmask: nic.addresses[0]?.split('/')[1],
        routes: [route(network?.v4?.gateway ?? '')],
      },
      {
        id: `v6-${index}`,
        type: 'ipv6',
        link: `tap-${nic.name}`,
        ip_address: nic.addresses[1]?.split('/')[0],
        netmask: '64',
        routes: [route(network?.v6?.gateway ?? '')],
      },
    ];
  }),
  services: [],
};

/** Who asks, and from which source address (the tunnel peer asks from the network behind it). */
const ASKERS: { who: string; source?: string; label: string }[] = [
  { who: 'client', label: 'the client (behind the router)' },
  { who: 'ctr', label: 'a container behind docker0' },
  { who: 'tun', source: '192.0.2.241', label: 'a host behind the tunnel (IPv4)' },
  { who: 'tun', source: '2001:db8:7f::1', label: 'a host behind the tunnel (IPv6)' },
  { who: 'nb-a', label: 'a neighbour on net-a' },
  { who: 'nb-b', label: 'a neighbour on net-b' },
];

describe.skipIf(!availability.ok || !hasIfup)(
  `every other path keeps working (${availability.ok ? (hasIfup ? availability.reason : 'no ifup') : availability.reason})`,
  () => {
    let lab: Lab;
    let extra: ExtraHosts;
    let work: string;
    const apply = () =>
      lab.multinic([
        'apply',
        '--source',
        'metadata',
        '--persist',
        'ifupdown',
        '--root',
        join(work, 'root'),
        '--state-dir',
        join(work, 'state'),
      ]);
    /** For each asker, the guest addresses that do not answer it (of its family); all pings at once. */
    const silent = async () => {
      const entries = await Promise.all(
        ASKERS.map(async (asker) => {
          const family6 = asker.source?.includes(':');
          const targets = asker.source ? GUEST.filter((address) => address.includes(':') === family6) : GUEST;
          const answered = await Promise.all(targets.map((address) => extra.answers(asker.who, address, asker.source)));
          return [asker.label, targets.filter((_, index) => !answered[index])] as const;
        }),
      );
      return Object.fromEntries(entries) as Record<string, string[]>;
    };
    const noneSilent = Object.fromEntries(ASKERS.map((asker) => [asker.label, []]));

    beforeAll(async () => {
      work = await mkdtemp(join(tmpdir(), 'multinic-e2e14-'));
      lab = await createLab({ networks: NETWORKS, nics: NICS, networkData: NETWORK_DATA });
      extra = await addExtraHosts(lab, [
        // A container bridge: docker0 in the guest, 192.0.2.128/26 and 2001:db8:d0c::/64.
        {
          name: 'ctr',
          attach: { guestBridge: 'docker0' },
          guestAddresses: ['192.0.2.129/26', '2001:db8:d0c::1/64'],
          addresses: ['192.0.2.130/26', '2001:db8:d0c::2/64'],
          gateways: ['192.0.2.129', '2001:db8:d0c::1'],
        },
        // A tunnel-like link: wg0, a /30 to its peer and a network behind the peer.
        {
          name: 'tun',
          attach: { guestLink: 'wg0' },
          guestAddresses: ['192.0.2.193/30', '2001:db8:7e::1/64'],
          addresses: ['192.0.2.194/30', '2001:db8:7e::2/64'],
          loopback: ['192.0.2.241/32', '2001:db8:7f::1/128'],
          gateways: ['192.0.2.193', '2001:db8:7e::1'],
          guestRoutes: [
            { to: '192.0.2.240/28', via: '192.0.2.194' },
            { to: '2001:db8:7f::/64', via: '2001:db8:7e::2' },
          ],
        },
        // Neighbours on the guest's subnets, on the same switch bridges as the NICs.
        {
          name: 'nb-a',
          attach: { switchBridge: 'br0' },
          addresses: ['203.0.113.50/24', '2001:db8:a::50/64'],
          gateways: ['203.0.113.1', '2001:db8:a::1'],
        },
        {
          name: 'nb-b',
          attach: { switchBridge: 'br1' },
          addresses: ['192.0.2.50/25', '2001:db8:b::50/64'],
          gateways: ['192.0.2.1', '2001:db8:b::1'],
        },
      ]);
    });
    afterAll(async () => {
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before it was made
      await extra?.destroy();
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- unset if beforeAll failed before it was made
      await lab?.destroy();
      await rm(work, { recursive: true, force: true });
    });

    it('before multinic, the secondary NICs do not answer the client (the problem multinic solves)', async () => {
      const before = await silent();
      expect(before['the client (behind the router)']).toEqual(
        expect.arrayContaining(['203.0.113.22', '192.0.2.30', '2001:db8:b::30']),
      );
      // The container and the tunnel already work: the main table routes them.
      expect(before['a container behind docker0']).toEqual([]);
      expect(before['a host behind the tunnel (IPv4)']).toEqual([]);
    });

    it('after apply, everyone gets answers from every guest address, IPv4 and IPv6', async () => {
      const result = await apply();
      expect(result.exitCode, result.stderr).toBe(0);
      expect(await silent()).toEqual(noneSilent);
      // docker0 and wg0 are left alone: no rule, no table of multinic's names them.
      const rules =
        (await lab.exec('guest', 'ip', ['rule'])).stdout + (await lab.exec('guest', 'ip', ['-6', 'rule'])).stdout;
      expect(rules).not.toMatch(/docker0|wg0|192\.0\.2\.128|192\.0\.2\.240/);
      expect((await lab.exec('guest', 'ip', ['route', 'show', 'table', 'all'])).stdout).toContain(
        '192.0.2.240/28 via 192.0.2.194 dev wg0',
      );
    });

    it('control: without the main-table rules the container and the tunnel lose their answers; apply puts them back', async () => {
      for (const priority of ['12001', '12002', '12003']) {
        await lab.exec('guest', 'ip', ['-4', 'rule', 'del', 'priority', priority]);
        await lab.exec('guest', 'ip', ['-6', 'rule', 'del', 'priority', priority]);
      }
      const broken = await silent();
      expect(broken['a container behind docker0']).toEqual(GUEST);
      expect(broken['a host behind the tunnel (IPv4)']).toEqual(GUEST.filter((address) => !address.includes(':')));
      expect((await apply()).exitCode).toBe(0);
      expect(await silent()).toEqual(noneSilent);
    });

    it('control: without the managed-subnet rules (suppress_prefixlength alone) replies to neighbours leave by the wrong NIC; apply puts them back', async () => {
      const rules = JSON.parse((await lab.exec('guest', 'ip', ['-j', 'rule'])).stdout) as {
        priority: number;
        dst?: string;
      }[];
      for (const rule of rules.filter(
        (candidate) => candidate.priority > 10000 && candidate.priority < 12000 && candidate.dst,
      )) {
        await lab.exec('guest', 'ip', ['-4', 'rule', 'del', 'priority', String(rule.priority)]);
      }
      const broken = await silent();
      // ens5 replies to net-a's neighbour through ens3 (main's 203.0.113.0/24): dropped.
      expect(broken['a neighbour on net-a']).toContain('192.0.2.30');
      expect((await apply()).exitCode).toBe(0);
      expect(await silent()).toEqual(noneSilent);
    });

    it("after a reboot-equivalent (multinic's rules and tables flushed), ifup of the persisted stanzas restores every path", async () => {
      for (const family of ['-4', '-6']) {
        for (const priority of ['100', '120', '140'].flatMap((base) =>
          ['01', '02', '03'].map((slot) => `${base}${slot}`),
        )) {
          while ((await lab.exec('guest', 'ip', [family, 'rule', 'del', 'priority', priority])).exitCode === 0);
        }
        for (const table of ['10001', '10002', '10003'])
          await lab.exec('guest', 'ip', [family, 'route', 'flush', 'table', table]);
      }
      expect((await silent())['the client (behind the router)']).toContain('203.0.113.22');
      for (const nic of NICS) {
        const file = join(work, 'root', 'etc/network/interfaces.d', `multinic-${nic.name}`);
        const up = await lab.exec('guest', 'ifup', ['-i', file, '--state-dir', join(work, 'ifstate'), nic.name]);
        expect(up.exitCode, `ifup ${nic.name}: ${up.stderr}`).toBe(0);
      }
      expect(await silent()).toEqual(noneSilent);
      const verify = await lab.multinic(['verify', '--state-dir', join(work, 'state')]);
      expect(verify.exitCode, verify.stderr).toBe(0);
    });

    it.skipIf(!hasNetplan)(
      'after another reboot-equivalent, what netplan generates from the persisted netplan file restores every path',
      async () => {
        const root = join(work, 'root-netplan');
        const persisted = await lab.multinic([
          'apply',
          '--source',
          'metadata',
          '--persist',
          'netplan',
          '--root',
          root,
          '--state-dir',
          join(work, 'state'),
        ]);
        expect(persisted.exitCode, persisted.stderr).toBe(0);
        const generated = spawnSync('netplan', ['generate', '--root-dir', root], { encoding: 'utf8' });
        expect(generated.status, generated.stderr).toBe(0);
        for (const family of ['-4', '-6']) {
          for (const priority of ['100', '120', '140'].flatMap((base) =>
            ['01', '02', '03'].map((slot) => `${base}${slot}`),
          )) {
            while ((await lab.exec('guest', 'ip', [family, 'rule', 'del', 'priority', priority])).exitCode === 0);
          }
          for (const table of ['10001', '10002', '10003'])
            await lab.exec('guest', 'ip', [family, 'route', 'flush', 'table', table]);
        }
        expect((await silent())['the client (behind the router)']).toContain('203.0.113.22');
        for (const nic of NICS) {
          const name = `10-netplan-${nic.name}.network`;
          const network = sections(await readFile(join(root, 'run/systemd/network', name), 'utf8'));
          expect(network.find((section) => section.name === '[Match]')?.keys.PermanentMACAddress).toBe(nic.mac);
          const dropIns = join(root, 'etc/systemd/network', `${name}.d`);
          const extra = (
            await Promise.all(
              (await readdir(dropIns)).map(async (file) => sections(await readFile(join(dropIns, file), 'utf8'))),
            )
          ).flat();
          for (const args of networkdCommands(nic.name, [...network, ...extra])) {
            const result = await lab.exec('guest', 'ip', args);
            expect(result.exitCode, `ip ${args.join(' ')}: ${result.stderr}`).toBe(0);
          }
        }
        expect(await silent()).toEqual(noneSilent);
        // Restored by the owner's tool, with its own protocol: a rerun counts them as present.
        const rerun = await lab.multinic([
          'apply',
          '--source',
          'metadata',
          '--persist',
          'none',
          '--state-dir',
          join(work, 'state'),
        ]);
        expect(rerun.exitCode, rerun.stderr).toBe(0);
        expect(rerun.stderr).toContain('no changes');
      },
    );
  },
);
